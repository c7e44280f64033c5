// fixcheck: family=hash
// fixcheck: rule=java.weak-crypto.weak-hash
// fixcheck: benign=["payload"]
// fixcheck: attack-worked-if=regex "\\b[0-9a-f]{40}\\b"
// fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
// fixcheck: expect=fixed
import java.util.HexFormat;

public class WeakHashSha1 {
    public static void main(String[] args) throws Exception {
        byte[] hash = java.security.MessageDigest.getInstance("SHA-1").digest(args[0].getBytes("UTF-8"));
        System.out.println("id " + HexFormat.of().formatHex(hash));
    }
}
