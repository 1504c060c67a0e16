// What a Java nucleus start does with the token: a SunPKCS11 provider from the three lines the
// Greengrass PKCS#11 plugin builds (name, library, slot), KeyStore.load with userPin (the first
// load in a process = C_Initialize + C_Login), and the key + certificate of the label looked up.
// N > 1 repeats that in the same JVM with a fresh provider each round; the previous one logs
// out (C_Logout) first, so every round's load is a real C_Login. The tests start one JVM per
// nucleus start (N = 1): a JVM starts in well under a second.
//
// Usage: java Pkcs11LoginLoop LIBRARY SLOT PIN LABEL N [--expect-wrong-pin]
//   --expect-wrong-pin: succeed only if every load is refused with CKR_PIN_INCORRECT.

import java.security.AuthProvider;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.X509Certificate;

public final class Pkcs11LoginLoop {
    private Pkcs11LoginLoop() {}

    private static String causes(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(" <- ").append(c);
        }
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5 && !(args.length == 6 && "--expect-wrong-pin".equals(args[5]))) {
            System.err.println("usage: Pkcs11LoginLoop LIBRARY SLOT PIN LABEL N [--expect-wrong-pin]");
            System.exit(2);
        }
        String library = args[0], slot = args[1], label = args[3];
        char[] pin = args[2].toCharArray();
        int rounds = Integer.parseInt(args[4]);
        boolean wrong = args.length == 6;
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new IllegalStateException("SunPKCS11 provider not present in this JDK");
        }
        String config = String.join(System.lineSeparator(), "name=sxlogin", "library=" + library, "slot=" + slot);
        long t0 = System.nanoTime();
        for (int i = 1; i <= rounds; i++) {
            Provider p = base.configure("--" + config);
            Security.removeProvider(p.getName());
            Security.addProvider(p);
            KeyStore ks = KeyStore.getInstance("PKCS11", p);
            try {
                ks.load(null, pin);
                if (wrong) {
                    System.out.println("[login] round " + i + ": FAILED: a wrong PIN was accepted");
                    System.exit(1);
                }
                Key key = ks.getKey(label, pin);
                Object cert = ks.getCertificate(label);
                if (!(key instanceof PrivateKey) || !(cert instanceof X509Certificate)) {
                    System.out.println("[login] round " + i + ": FAILED: no key + certificate under " + label);
                    System.exit(1);
                }
            } catch (java.io.IOException e) {
                if (!wrong || !causes(e).contains("CKR_PIN_INCORRECT")) {
                    System.out.println("[login] round " + i + ": FAILED:" + causes(e));
                    System.exit(1);
                }
                System.out.println("[login] round " + i + ": refused as expected:" + causes(e));
            }
            if (p instanceof AuthProvider) {
                ((AuthProvider) p).logout();
            }
            Security.removeProvider(p.getName());
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("[login] " + rounds + " round(s) of provider + KeyStore.load (C_Login) + getKey/getCertificate: "
                + ms + " ms" + (wrong ? " (all refused)" : ", all OK"));
    }
}
