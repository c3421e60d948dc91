package rund.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/** Checks on key and certificate files before rund uses them. */
public final class KeyFiles {

    /**
     * The organisation name that {@code tls/gen-certs.sh} writes into every example certificate. The
     * example keys are public (they are in the repository), so a daemon that finds this marker
     * should warn that anyone can impersonate it or its clients.
     */
    public static final String EXAMPLE_MARKER = "rund example PKI (do not use in production)";

    private static final Set<PosixFilePermission> READ_BY_OTHERS =
            Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);

    private KeyFiles() {}

    /**
     * Refuses a private key file that anyone but its owner may read, write or execute (the check
     * OpenSSH applies to its keys): a key readable by others is a key others may hold, and one
     * writable by others can be swapped for theirs. On file systems without POSIX permissions only
     * the existence of the file is checked.
     */
    public static void requirePrivate(Path key) throws TlsConfigException {
        PemFiles.requireReadableFile(key);
        PosixFileAttributeView view = Files.getFileAttributeView(key, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        Set<PosixFilePermission> perms;
        try {
            perms = view.readAttributes().permissions();
        } catch (IOException e) {
            throw new TlsConfigException(key + ": cannot read its permissions: " + e.getMessage(), e);
        }
        int mode = mode(perms);
        if ((mode & 0077) == 0) {
            return;
        }
        String what = perms.stream().anyMatch(READ_BY_OTHERS::contains)
                ? "readable by group or others"
                : "writable or executable by group or others";
        throw new TlsConfigException(String.format(
                "%s is %s (mode %04o): run chmod 600 %s", key, what, mode, key));
    }

    /**
     * True if the first certificate in {@code certPem} belongs to the example PKI: its subject or
     * issuer has {@link #EXAMPLE_MARKER} as organisation. False for any other certificate, and for a
     * file that cannot be read (loading it for TLS reports that properly).
     */
    public static boolean isExamplePki(Path certPem) {
        try {
            X509Certificate cert = PemFiles.certificates(certPem).getFirst();
            return hasMarker(cert.getSubjectX500Principal()) || hasMarker(cert.getIssuerX500Principal());
        } catch (TlsConfigException e) {
            return false;
        }
    }

    private static boolean hasMarker(X500Principal name) {
        try {
            for (Rdn rdn : new LdapName(name.getName(X500Principal.RFC2253)).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("O") && EXAMPLE_MARKER.equals(rdn.getValue())) {
                    return true;
                }
            }
            return false;
        } catch (InvalidNameException e) {
            return false;
        }
    }

    private static int mode(Set<PosixFilePermission> perms) {
        int mode = 0;
        for (PosixFilePermission p : perms) {
            // The enum runs OWNER_READ .. OTHERS_EXECUTE, i.e. from bit 8 down to bit 0.
            mode |= 1 << (8 - p.ordinal());
        }
        return mode;
    }
}
