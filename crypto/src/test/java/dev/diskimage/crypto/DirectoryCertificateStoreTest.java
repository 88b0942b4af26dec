package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The default certificate store: {@code <uuid>.pem} files in one directory, nothing else. */
class DirectoryCertificateStoreTest {
    private static final String UUID = "3a0c4d2e-9b8f-4e7d-a6c5-b4a392817060";

    @TempDir
    Path dir;

    @Test
    void findsACertificateByUuid() throws Exception {
        X509Certificate certificate = TestSigner.certificate("found",
                TestSigner.keyPair(SignatureKeyType.ECC_SECP384R1)).issue();
        Files.writeString(dir.resolve(UUID + ".pem"), TestSigner.pem("CERTIFICATE", certificate.getEncoded()));

        assertThat(CertificateStore.directory(dir).certificate(UUID)).isEqualTo(certificate);
    }

    @Test
    void readsADerFileToo() throws Exception {
        X509Certificate certificate = TestSigner.certificate("der",
                TestSigner.keyPair(SignatureKeyType.ECC_SECP384R1)).issue();
        Files.write(dir.resolve(UUID.toUpperCase(java.util.Locale.ROOT) + ".pem"), certificate.getEncoded());

        assertThat(CertificateStore.directory(dir).certificate(UUID.toUpperCase(java.util.Locale.ROOT)))
                .isEqualTo(certificate);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "..", "/etc/passwd", "3a0c4d2e-9b8f-4e7d-a6c5-b4a392817060/../../x",
        "3a0c4d2e-9b8f-4e7d-a6c5-b4a39281706", "3a0c4d2e-9b8f-4e7d-a6c5-b4a3928170600",
        "3a0c4d2e9b8f4e7da6c5b4a392817060", "3a0c4d2e-9b8f-4e7d-a6c5-b4a39281706g", "", " 3a0c4d2e-9b8f-4e7d-a6c5-b4a392817060",
        "3a0c4d2e-9b8f-4e7d-a6c5-b4a392817060\n"})
    void anIdThatIsNotAPlainUuidIsRefusedBeforeTheFileSystemSeesIt(String id) throws Exception {
        Files.writeString(dir.resolve("x.pem"), "not read");

        assertThatThrownBy(() -> CertificateStore.directory(dir.resolve("sub")).certificate(id))
                .isInstanceOfSatisfying(SigningCertificateException.class,
                        e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.INVALID_ID))
                .hasMessageContaining("plain UUIDs only");
    }

    @Test
    void aMissingFileIsNotFound() {
        assertThatThrownBy(() -> CertificateStore.directory(dir).certificate(UUID))
                .isInstanceOfSatisfying(SigningCertificateException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.NOT_FOUND);
                    assertThat(e.certificateId()).isEqualTo(UUID);
                }).hasMessageContaining(UUID + ".pem");
    }

    @Test
    void garbageIsUnreadable() throws Exception {
        Files.writeString(dir.resolve(UUID + ".pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        assertThatThrownBy(() -> CertificateStore.directory(dir).certificate(UUID))
                .isInstanceOfSatisfying(SigningCertificateException.class,
                        e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.UNREADABLE));
    }

    @Test
    void anEmptyFileOrTwoCertificatesAreUnreadable() throws Exception {
        Files.writeString(dir.resolve(UUID + ".pem"), "");
        assertThatThrownBy(() -> CertificateStore.directory(dir).certificate(UUID))
                .isInstanceOfSatisfying(SigningCertificateException.class,
                        e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.UNREADABLE));

        X509Certificate one = TestSigner.certificate("one", TestSigner.keyPair(SignatureKeyType.DSA)).issue();
        String pem = TestSigner.pem("CERTIFICATE", one.getEncoded());
        Files.writeString(dir.resolve(UUID + ".pem"), pem + pem);
        assertThatThrownBy(() -> CertificateStore.directory(dir).certificate(UUID))
                .isInstanceOfSatisfying(SigningCertificateException.class,
                        e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.UNREADABLE))
                .hasMessageContaining("2 certificates");
    }

    @Test
    void aFileOverTheCapIsNotParsed() throws Exception {
        Files.write(dir.resolve(UUID + ".pem"), new byte[DirectoryCertificateStore.MAX_FILE_BYTES + 1]);

        assertThatThrownBy(() -> CertificateStore.directory(dir).certificate(UUID))
                .isInstanceOfSatisfying(SigningCertificateException.class,
                        e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.UNREADABLE))
                .hasMessageContaining("larger than");
    }

    @Test
    void aFileAtTheCapIsParsed() throws Exception {
        Files.write(dir.resolve(UUID + ".pem"), new byte[DirectoryCertificateStore.MAX_FILE_BYTES]);

        assertThatThrownBy(() -> CertificateStore.directory(dir).certificate(UUID))
                .isInstanceOf(SigningCertificateException.class).hasMessageContaining("is not a PEM or DER");
    }

    @Test
    void aDirectoryInPlaceOfTheFileIsUnreadable() throws Exception {
        Files.createDirectory(dir.resolve(UUID + ".pem"));

        assertThatThrownBy(() -> CertificateStore.directory(dir).certificate(UUID))
                .isInstanceOfSatisfying(SigningCertificateException.class,
                        e -> assertThat(e.reason()).isEqualTo(SigningCertificateException.Reason.UNREADABLE));
    }

    @Test
    void toStringNamesTheDirectory() {
        assertThat(CertificateStore.directory(dir)).hasToString("CertificateStore[directory=" + dir + "]");
    }
}
