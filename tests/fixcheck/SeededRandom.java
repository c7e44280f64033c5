// fixcheck: family=property
// fixcheck: rule=java.weak-crypto.insecure-random
// fixcheck: benign=[]
// fixcheck: attack-worked-if=contains "generator java.util.Random"
// fixcheck: expect=unfixed
// A seeded Random is reproducible on purpose (or by mistake): no mechanical fix is offered.
import java.util.Random;

public class SeededRandom {
    public static void main(String[] args) {
        Random rng = new Random(42L);
        System.out.println("first " + rng.nextInt(1000));
        System.out.println("generator " + rng.getClass().getName());
    }
}
