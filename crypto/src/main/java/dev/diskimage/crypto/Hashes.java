package dev.diskimage.crypto;

import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.RIPEMD160Digest;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA224Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;

/** The hashes LUKS headers name (cryptsetup's names), as Bouncy Castle digests. */
final class Hashes {
    private Hashes() {
    }

    /** A fresh digest for a LUKS hash name, or empty for a hash this project does not implement. */
    static Optional<Digest> digest(String name) {
        return Optional.ofNullable(switch (name.toLowerCase(Locale.ROOT)) {
            case "sha1" -> new SHA1Digest();
            case "sha224" -> new SHA224Digest();
            case "sha256" -> new SHA256Digest();
            case "sha384" -> new SHA384Digest();
            case "sha512" -> new SHA512Digest();
            case "ripemd160" -> new RIPEMD160Digest();
            default -> null;
        });
    }

    static boolean supported(String name) {
        return digest(name).isPresent();
    }
}
