// fixcheck: family=property
// fixcheck: rule=java.weak-crypto.weak-tls-version
// fixcheck: benign=[]
// fixcheck: attack-worked-if=regex "protocol TLSv1(\\.1)?\\n"
// fixcheck: fixed-benign=regex "^protocol TLSv1\\.[23]\\n$"
// fixcheck: expect=fixed
// Creates the context only (no connection) and prints the protocol it negotiates at most.
import javax.net.ssl.SSLContext;

public class WeakTlsVersion {
    public static void main(String[] args) throws Exception {
        SSLContext context = SSLContext.getInstance("TLSv1");
        System.out.println("protocol " + context.getProtocol());
    }
}
