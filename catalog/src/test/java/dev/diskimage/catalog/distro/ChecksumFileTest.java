package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The checksum files distros publish, in their real shapes. */
class ChecksumFileTest {
    private static final String SHA256 = "a".repeat(64);
    private static final String OTHER256 = "b".repeat(64);
    private static final String SHA512 = "c".repeat(128);

    @Test
    void readsFedorasClearSignedChecksum() {
        String text = "-----BEGIN PGP SIGNED MESSAGE-----\n"
                + "Hash: SHA256\n"
                + "\n"
                + "# Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2: 397475840 bytes\n"
                + "SHA256 (Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2) = " + SHA256.toUpperCase() + "\n"
                + "# Fedora-Cloud-Base-UKI.x86_64-40-1.14.qcow2: 1 bytes\n"
                + "SHA256 (Fedora-Cloud-Base-UKI.x86_64-40-1.14.qcow2) = " + OTHER256 + "\n"
                + "- SHA256 (dash-escaped.qcow2) = " + SHA256 + "\n"
                + "-----BEGIN PGP SIGNATURE-----\n"
                + "\n"
                + "iQIzBAEBCAAdFiEEEV35rO/ZsWnAbpYk/6yPdUBt7mEFAmYbyxYACgkQ/6yPdUBt\n"
                + "SHA256 (in-signature.qcow2) = " + SHA256 + "\n"
                + "-----END PGP SIGNATURE-----\n";
        ChecksumFile file = ChecksumFile.parse("Fedora-Cloud-40-1.14-x86_64-CHECKSUM", text);
        assertThat(file.forFile("Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2"))
                .contains(new Checksum(ChecksumAlgorithm.SHA256, SHA256));
        assertThat(file.forFile("Fedora-Cloud-Base-UKI.x86_64-40-1.14.qcow2"))
                .contains(new Checksum(ChecksumAlgorithm.SHA256, OTHER256));
        assertThat(file.forFile("dash-escaped.qcow2")).isPresent();
        assertThat(file.forFile("in-signature.qcow2")).isEmpty();
        assertThat(file.size()).isEqualTo(3);
    }

    @Test
    void readsCoreutilsStyleInTextAndBinaryMode() {
        String text = SHA256 + " *ubuntu-24.04-server-cloudimg-amd64.img\r\n"
                + OTHER256 + "  ubuntu-24.04-server-cloudimg-arm64.img\r\n"
                + "not a line\n";
        ChecksumFile file = ChecksumFile.parse("SHA256SUMS", text);
        assertThat(file.forFile("ubuntu-24.04-server-cloudimg-amd64.img"))
                .contains(new Checksum(ChecksumAlgorithm.SHA256, SHA256));
        assertThat(file.forFile("ubuntu-24.04-server-cloudimg-arm64.img"))
                .contains(new Checksum(ChecksumAlgorithm.SHA256, OTHER256));
        assertThat(file.forFile("not")).isEmpty();
    }

    @Test
    void takesTheAlgorithmFromTheFileNameOrTheDigestLength() {
        assertThat(ChecksumFile.parse("SHA512SUMS", SHA512 + "  debian-12-generic-amd64-20240211-1654.qcow2\n")
                .forFile("debian-12-generic-amd64-20240211-1654.qcow2"))
                .contains(new Checksum(ChecksumAlgorithm.SHA512, SHA512));
        // a SHA-256 digest in a file that says SHA-512 is not a SHA-512 digest
        assertThat(ChecksumFile.parse("SHA512SUMS", SHA256 + "  a.qcow2\n").forFile("a.qcow2")).isEmpty();
        assertThat(ChecksumFile.parse("x.qcow2.sha256", SHA256 + "  x.qcow2\n").forFile("x.qcow2"))
                .contains(new Checksum(ChecksumAlgorithm.SHA256, SHA256));
        assertThat(ChecksumFile.parse("MD5SUMS", "d".repeat(32) + "  cirros-0.6.2-x86_64-disk.img\n")
                .forFile("cirros-0.6.2-x86_64-disk.img")).map(Checksum::algorithm).contains(ChecksumAlgorithm.MD5);
        assertThat(ChecksumFile.parse("CHECKSUM", "e".repeat(40) + "  f.img\n").forFile("f.img"))
                .map(Checksum::algorithm).contains(ChecksumAlgorithm.SHA1);
        assertThat(ChecksumFile.parse("CHECKSUM", "e".repeat(41) + "  f.img\n").forFile("f.img")).isEmpty();
        assertThat(ChecksumFile.parse("CHECKSUM.SHA512", "SHA512 (FreeBSD-14.1-RELEASE-amd64.qcow2.xz) = " + SHA512)
                .forFile("FreeBSD-14.1-RELEASE-amd64.qcow2.xz")).map(Checksum::algorithm).contains(ChecksumAlgorithm.SHA512);
        assertThat(ChecksumFile.algorithmNamedBy("CHECKSUM")).isEqualTo(Optional.empty());
    }

    @Test
    void ignoresUnknownAlgorithmsAndWrongLengths() {
        String text = "BLAKE2 (a.img) = " + SHA256 + "\n"
                + "SHA256 (b.img) = " + SHA512 + "\n"
                + "SHA256 (c.img) = " + SHA256 + "\n"
                + "SHA256 (c.img) = " + OTHER256 + "\n";
        ChecksumFile file = ChecksumFile.parse("CHECKSUM", text);
        assertThat(file.forFile("a.img")).isEmpty();
        assertThat(file.forFile("b.img")).isEmpty();
        assertThat(file.forFile("c.img")).contains(new Checksum(ChecksumAlgorithm.SHA256, SHA256));
    }

    @Test
    void readsAtMostMaxLines() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < ChecksumFile.MAX_LINES; i++) {
            text.append("#\n");
        }
        text.append(SHA256).append("  late.img\n");
        assertThat(ChecksumFile.parse("SHA256SUMS", text.toString()).forFile("late.img")).isEmpty();
    }

    @Test
    void readsTheLastOfMaxLines() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < ChecksumFile.MAX_LINES - 1; i++) {
            text.append("#\n");
        }
        text.append(SHA256).append("  last.img");
        assertThat(ChecksumFile.parse("SHA256SUMS", text.toString()).forFile("last.img"))
                .contains(new Checksum(ChecksumAlgorithm.SHA256, SHA256));
    }
}
