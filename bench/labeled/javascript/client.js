/* global $ */
function showGreeting() {
  const params = new URLSearchParams(window.location.search);
  const name = params.get("name");
  // ruleid: xss (DOM)
  document.getElementById("greeting").innerHTML = "Hello " + name;
}

function showHash() {
  // ruleid: xss (DOM) through document.write
  document.write("<p>" + decodeURIComponent(location.hash.slice(1)) + "</p>");
}

function showItem() {
  const item = location.hash.substring(1);
  // ruleid: xss (DOM) through jQuery
  $("#item").html("<b>" + item + "</b>");
}

function showItemSafe() {
  const item = location.hash.substring(1);
  // ok: text, not markup
  $("#item").text(item);
}

function insertNote() {
  const note = new URLSearchParams(location.search).get("note");
  // ruleid: xss (DOM) through insertAdjacentHTML
  document.body.insertAdjacentHTML("beforeend", "<div>" + note + "</div>");
}

function follow() {
  const next = new URLSearchParams(location.search).get("next");
  // ruleid: open-redirect (DOM)
  window.location.href = next;
}

function onMessage(event) {
  // ruleid: code-injection from a message
  eval(event.data);
}
window.addEventListener("message", onMessage);

const config = {
  host: "db.internal",
  user: "reporting",
  // ruleid: hardcoded-secret
  password: "Tr0ub4dor&3-reporting",
};

module.exports = { showGreeting, showHash, showItem, showItemSafe, insertNote, follow, config };
