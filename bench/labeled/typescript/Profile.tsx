import React from "react";
import { DomSanitizer, SafeHtml } from "@angular/platform-browser";

type Props = { bio: string; website: string };

export function Profile({ bio, website }: Props) {
  return (
    <div>
      {/* ruleid: xss through dangerouslySetInnerHTML */}
      <div dangerouslySetInnerHTML={{ __html: bio }} />
      <a href={website}>site</a>
    </div>
  );
}

export function Safe({ bio }: Props) {
  // ok: React escapes text children
  return <div>{bio}</div>;
}

export class BioComponent {
  constructor(private sanitizer: DomSanitizer) {}

  render(html: string): SafeHtml {
    // ruleid: xss, Angular's sanitizer bypassed
    return this.sanitizer.bypassSecurityTrustHtml(html);
  }
}

export function preview() {
  const q = new URLSearchParams(window.location.search).get("q") ?? "";
  const frame = document.createElement("iframe");
  // ruleid: xss through srcdoc
  frame.srcdoc = "<p>" + q + "</p>";
  document.body.appendChild(frame);
}
