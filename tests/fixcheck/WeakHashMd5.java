// fixcheck: family=hash
// fixcheck: rule=java.weak-crypto.weak-hash
// fixcheck: benign=["invoice-17"]
// fixcheck: attack-worked-if=regex "\\b[0-9a-f]{32}\\b"
// fixcheck: fixed-benign=regex "^MessageDigest SHA-(256|384|512|3-256) [0-9a-f]{64,128}\\n$"
// fixcheck: expect=fixed
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

public class WeakHashMd5 {
    static String checksum(String text) throws NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("MD5");
        byte[] hash = digest.digest(text.getBytes(StandardCharsets.UTF_8));
        return "MessageDigest " + digest.getAlgorithm() + " " + HexFormat.of().formatHex(hash);
    }

    public static void main(String[] args) throws Exception {
        System.out.println(checksum(args[0]));
    }
}
