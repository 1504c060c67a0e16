// Reproduces, step by step, what the Greengrass V2 PKCS#11 provider plugin does with SunPKCS11
// (aws.greengrass.crypto.Pkcs11Provider; docs/p11-consumer-tests.md "What Greengrass does with the token"),
// then proves the key works for a client-authenticated TLS handshake (JSSE = Greengrass's HTTPS
// path) and an MQTT 3.1.1 CONNECT to a local broker.
//
// Usage: java GreengrassPkcs11Check LIBRARY SLOT PIN LABEL CA_FILE HOST PORT PROTOCOL [EXTRA_CONFIG]
//   PROTOCOL is TLSv1.3 or TLSv1.2. Exit code 0 only if every step succeeded.
//   EXTRA_CONFIG (not something Greengrass does) is appended to the SunPKCS11 config, e.g.
//   "disabledMechanisms = { CKM_SHA256_RSA_PKCS CKM_RSA_PKCS_PSS }" to make SoftHSM2 look like a
//   token that only offers CKM_ECDSA / CKM_RSA_PKCS.
// No third-party libraries: the MQTT packets are written by hand.

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreSpi;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public final class GreengrassPkcs11Check {
    private static final int SOCKET_TIMEOUT_MS = 20_000;

    private GreengrassPkcs11Check() {}

    private static void step(String s) {
        System.out.println("[java] " + s);
    }

    public static void main(String[] args) {
        if (args.length != 8 && args.length != 9) {
            System.err.println("usage: GreengrassPkcs11Check LIBRARY SLOT PIN LABEL CA_FILE HOST PORT PROTOCOL [EXTRA_CONFIG]");
            System.exit(2);
        }
        try {
            run(args[0], args[1], args[2], args[3], args[4], args[5], Integer.parseInt(args[6]), args[7],
                args.length == 9 ? args[8] : "");
            step("RESULT: OK");
            System.exit(0);
        } catch (Throwable t) {
            System.out.println("[java] RESULT: FAILED: " + t);
            t.printStackTrace(System.out);
            System.exit(1);
        }
    }

    private static void run(String library, String slot, String pin, String label, String caFile,
                            String host, int port, String protocol, String extraConfig) throws Exception {
        // 1. Exactly the three lines PKCS11CryptoKeyService.buildConfiguration() produces.
        String config = String.join(System.lineSeparator(),
                "name=sxp11check", "library=" + library, "slot=" + slot);
        if (!extraConfig.isBlank()) {
            config = config + System.lineSeparator() + extraConfig;
            step("NOTE: extra SunPKCS11 config appended (Greengrass does not do this)");
        }
        step("SunPKCS11 configuration:");
        config.lines().forEach(l -> step("    " + l));
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new IllegalStateException("SunPKCS11 provider not present in this JDK");
        }
        Provider p = base.configure("--" + config);
        // Greengrass removes an older instance and appends (lowest priority).
        Security.removeProvider(p.getName());
        Security.addProvider(p);
        step("provider " + p.getName() + " added");
        for (String alg : List.of("SHA256withECDSA", "NONEwithECDSA", "SHA256withRSA", "NONEwithRSA",
                                  "RSASSA-PSS", "SHA256withRSASSA-PSS")) {
            Provider.Service s = p.getService("Signature", alg);
            step("  Signature." + alg + ": " + (s == null ? "not offered" : describe(s)));
        }

        // 2. KeyStore load = C_Login + full token scan (P11KeyStore.mapLabels).
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, pin.toCharArray());
        List<String> aliases = Collections.list(ks.aliases());
        step("KeyStore loaded, aliases=" + aliases);
        if (!ks.containsAlias(label)) {
            throw new IllegalStateException("Private key or certificate with label " + label
                    + " does not exist (Greengrass message; key and cert need same CKA_LABEL and CKA_ID)");
        }
        step("containsAlias(" + label + ") = true, isKeyEntry=" + ks.isKeyEntry(label));

        // 3. getKeyPair(): key handle + certificate (public key comes from the certificate).
        Key key = ks.getKey(label, pin.toCharArray());
        if (!(key instanceof PrivateKey)) {
            throw new IllegalStateException("Key " + label + " is not a private key: " + key);
        }
        PrivateKey priv = (PrivateKey) key;
        step("getKey -> " + priv.getAlgorithm() + " " + priv.getClass().getName());
        Certificate cert = ks.getCertificate(label);
        if (!(cert instanceof X509Certificate)) {
            throw new IllegalStateException("Unable to load certificate with the label " + label);
        }
        X509Certificate x509 = (X509Certificate) cert;
        step("getCertificate -> subject=" + x509.getSubjectX500Principal() + " issuer="
                + x509.getIssuerX500Principal());
        Certificate[] chain = ks.getCertificateChain(label);
        step("getCertificateChain length=" + (chain == null ? 0 : chain.length));

        // 4. Direct JCA signature with the token key, verified with the certificate's public key.
        String sigAlg = "EC".equals(priv.getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
        Signature signer = Signature.getInstance(sigAlg, p);
        signer.initSign(priv);
        byte[] msg = "sx-p11 greengrass check".getBytes(StandardCharsets.US_ASCII);
        signer.update(msg);
        byte[] sig = signer.sign();
        Signature verifier = Signature.getInstance(sigAlg);
        verifier.initVerify(x509.getPublicKey());
        verifier.update(msg);
        if (!verifier.verify(sig)) {
            throw new IllegalStateException(sigAlg + " signature from the token does not verify with the certificate");
        }
        step(sigAlg + " sign on token + verify with cert public key (" + verifier.getProvider().getName()
                + "): OK, " + sig.length + " bytes");

        // 5. getKeyManagers(): SunX509 over Greengrass's SingleKeyStore view (only `label` visible),
        //    password null. Without the filter SunX509 may pick another key on the same token.
        KeyStore single = new SingleKeyStore(ks, label, p);
        single.load(null, null);
        step("SingleKeyStore view: aliases=" + Collections.list(single.aliases()));
        String kmfAlg = KeyManagerFactory.getDefaultAlgorithm();
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(kmfAlg);
        kmf.init(single, null);
        KeyManager[] kms = kmf.getKeyManagers();
        step("KeyManagerFactory(" + kmfAlg + ").init(ks, null) -> " + kms.length + " key manager(s)");

        // 6. Trust managers from the root CA *file* (Greengrass: rootCaPath).
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        int n = 0;
        try (InputStream in = new FileInputStream(caFile)) {
            for (Certificate c : cf.generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + n++, c);
            }
        }
        if (n == 0) {
            throw new IllegalStateException("no certificate in " + caFile);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);

        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, tmf.getTrustManagers(), null);

        // 7. Client-authenticated handshake with exactly one protocol version enabled.
        try (SSLSocket sock = (SSLSocket) ctx.getSocketFactory().createSocket(host, port)) {
            sock.setSoTimeout(SOCKET_TIMEOUT_MS);
            sock.setEnabledProtocols(new String[] {protocol});
            SSLParameters params = sock.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");   // server cert must match host
            sock.setSSLParameters(params);
            sock.startHandshake();
            SSLSession s = sock.getSession();
            step("handshake OK: protocol=" + s.getProtocol() + " cipher=" + s.getCipherSuite());
            if (!protocol.equals(s.getProtocol())) {
                throw new IllegalStateException("negotiated " + s.getProtocol() + ", wanted " + protocol);
            }
            Certificate[] local = s.getLocalCertificates();
            if (local == null || local.length == 0) {
                throw new IllegalStateException("no client certificate was sent");
            }
            step("client certificate sent: " + ((X509Certificate) local[0]).getSubjectX500Principal());
            if (s instanceof ExtendedSSLSession) {
                step("server accepted signature schemes: "
                        + String.join(",", ((ExtendedSSLSession) s).getPeerSupportedSignatureAlgorithms()));
            }
            mqttConnect(sock, "sxp11-java-" + protocol.replace('.', '_') + "-" + ProcessHandle.current().pid());
        }
    }

    // Same idea as Greengrass's SingleKeyStore: a read-only KeyStore that shows one alias of an
    // already loaded PKCS11 KeyStore. Built on public API only (KeyStore's protected constructor).
    private static final class SingleKeyStore extends KeyStore {
        SingleKeyStore(KeyStore inner, String alias, Provider p) {
            super(new Spi(inner, alias), p, "PKCS11");
        }
    }

    private static final class Spi extends KeyStoreSpi {
        private final KeyStore inner;
        private final String alias;

        Spi(KeyStore inner, String alias) {
            this.inner = inner;
            this.alias = alias;
        }

        private boolean mine(String a) {
            return alias.equals(a);
        }

        @Override
        public Key engineGetKey(String a, char[] password) {
            try {
                return mine(a) ? inner.getKey(a, password) : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Certificate[] engineGetCertificateChain(String a) {
            try {
                return mine(a) ? inner.getCertificateChain(a) : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Certificate engineGetCertificate(String a) {
            try {
                return mine(a) ? inner.getCertificate(a) : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Date engineGetCreationDate(String a) {
            return null;
        }

        @Override
        public void engineSetKeyEntry(String a, Key k, char[] pw, Certificate[] chain) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void engineSetKeyEntry(String a, byte[] k, Certificate[] chain) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void engineSetCertificateEntry(String a, Certificate c) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void engineDeleteEntry(String a) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public Enumeration<String> engineAliases() {
            return Collections.enumeration(engineContainsAlias(alias) ? List.of(alias) : List.of());
        }

        @Override
        public boolean engineContainsAlias(String a) {
            try {
                return mine(a) && inner.containsAlias(a);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public int engineSize() {
            return engineContainsAlias(alias) ? 1 : 0;
        }

        @Override
        public boolean engineIsKeyEntry(String a) {
            try {
                return mine(a) && inner.isKeyEntry(a);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public boolean engineIsCertificateEntry(String a) {
            try {
                return mine(a) && inner.isCertificateEntry(a);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String engineGetCertificateAlias(Certificate c) {
            Certificate mineCert = engineGetCertificate(alias);
            return mineCert != null && mineCert.equals(c) ? alias : null;
        }

        @Override
        public void engineStore(OutputStream out, char[] pw) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void engineLoad(InputStream in, char[] pw) {
            // The inner PKCS11 KeyStore is already loaded (C_Login + token scan).
        }
    }

    private static String describe(Provider.Service s) {
        // SunPKCS11's service toString() ends with the PKCS#11 mechanism it will use.
        String t = s.toString().replace('\n', ' ').replaceAll("\\s+", " ").trim();
        int i = t.lastIndexOf('(');
        return i >= 0 ? t.substring(i) : t;
    }

    // MQTT 3.1.1 CONNECT (clean session, keep-alive 60 s, no username: the broker takes the
    // certificate CN) -> CONNACK must carry return code 0; then DISCONNECT.
    private static void mqttConnect(SSLSocket sock, String clientId) throws IOException {
        byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(new byte[] {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C});
        body.write((id.length >> 8) & 0xFF);
        body.write(id.length & 0xFF);
        body.write(id);
        ByteArrayOutputStream pkt = new ByteArrayOutputStream();
        pkt.write(0x10);
        int len = body.size();
        do {                                  // MQTT variable-length "remaining length"
            int b = len % 128;
            len /= 128;
            pkt.write(len > 0 ? b | 0x80 : b);
        } while (len > 0);
        body.writeTo(pkt);
        OutputStream out = sock.getOutputStream();
        out.write(pkt.toByteArray());
        out.flush();
        step("MQTT CONNECT sent (client id " + clientId + ")");

        DataInputStream in = new DataInputStream(sock.getInputStream());
        byte[] ack = new byte[4];
        in.readFully(ack);
        step(String.format("MQTT reply: %02x %02x %02x %02x", ack[0], ack[1], ack[2], ack[3]));
        if (ack[0] != 0x20 || ack[1] != 0x02) {
            throw new IOException("expected CONNACK (20 02 ..), got something else");
        }
        if (ack[3] != 0) {
            throw new IOException("CONNACK return code " + ack[3] + " (not accepted)");
        }
        step("CONNACK return code 0 (connection accepted)");
        out.write(new byte[] {(byte) 0xE0, 0x00});
        out.flush();
        step("MQTT DISCONNECT sent");
    }
}
