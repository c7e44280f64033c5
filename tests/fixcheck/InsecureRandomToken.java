// fixcheck: family=property
// fixcheck: rule=java.weak-crypto.insecure-random
// fixcheck: benign=["16"]
// fixcheck: attack-worked-if=contains "generator java.util.Random"
// fixcheck: fixed-benign=regex "^token of 32 hex digits\\ngenerator java.security.SecureRandom\\n$"
// fixcheck: expect=fixed
// The token itself is random; the program prints its shape and the generator that made it.
import java.util.Random;

public class InsecureRandomToken {
    static Random newGenerator() {
        return new Random();
    }

    public static void main(String[] args) {
        Random rng = newGenerator();
        byte[] token = new byte[Integer.parseInt(args[0])];
        rng.nextBytes(token);
        StringBuilder hex = new StringBuilder();
        for (byte b : token) {
            hex.append(String.format("%02x", b));
        }
        System.out.println("token of " + hex.length() + " hex digits");
        System.out.println("generator " + rng.getClass().getName());
    }
}
