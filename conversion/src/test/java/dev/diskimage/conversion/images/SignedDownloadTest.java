package dev.diskimage.conversion.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.TestImages;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.SignatureVerificationException;
import dev.diskimage.core.service.HashAlgorithm;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.core.testing.InMemoryImageService;
import dev.diskimage.crypto.CertificateStore;
import dev.diskimage.crypto.TrustPolicy;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed downloads: images signed by openssl (an ECDSA P-384 key and its self-signed certificate),
 * verified in the download's pass; every failure refused with nothing left behind.
 */
class SignedDownloadTest {
    private static final RequestContext CTX = RequestContext.anonymous();

    @TempDir
    Path dir;
    private Path conversionDir;
    private InMemoryImageService service;
    private ImageDownloader downloader;
    private byte[] qcow2;
    private String certificateId;
    private Path key;

    @BeforeEach
    void setUp() throws Exception {
        conversionDir = Files.createDirectories(dir.resolve("conversion"));
        Path certificates = Files.createDirectories(dir.resolve("certificates"));
        certificateId = UUID.randomUUID().toString();
        key = dir.resolve("key.pem");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp384r1", "-nodes", "-keyout",
                key.toString(), "-out", certificates.resolve(certificateId + ".pem").toString(), "-days", "2",
                "-subj", "/CN=image signing test");
        service = new InMemoryImageService();
        downloader = ImageDownloader.using(ImageValidator.of(ImagePolicy.defaults()), ImageConversionDirectory.of(conversionDir))
                .withSignatures(new SignaturePolicy(CertificateStore.directory(certificates), TrustPolicy.validityOnly(),
                        Clock.systemUTC(), false));
        Path raw = TestImages.raw(dir, "disk.raw", 2 * FlowImages.MIB, 8);
        qcow2 = Files.readAllBytes(TestImages.converted(raw, dir.resolve("disk.qcow2"), DiskFormat.QCOW2));
    }

    private Map<String, String> signatureOf(byte[] data) throws Exception {
        Path file = dir.resolve("to-sign");
        Files.write(file, data);
        Path signature = dir.resolve("signature");
        openssl("dgst", "-sha256", "-sign", key.toString(), "-out", signature.toString(), file.toString());
        return Map.of("img_signature", Base64.getEncoder().encodeToString(Files.readAllBytes(signature)),
                "img_signature_hash_method", "SHA-256", "img_signature_key_type", "ECC_SECP384R1",
                "img_signature_certificate_uuid", certificateId);
    }

    private ImageMeta signed(byte[] data) throws Exception {
        ImageMeta meta = service.add("qcow2", data);
        Map<String, String> properties = signatureOf(data);
        service.alterRecord(meta.id(), m -> m.toBuilder().properties(properties).build());
        return service.get(CTX, meta.id());
    }

    @Test
    void aSignedImageVerifiesInTheDownloadPass() throws Exception {
        ImageMeta meta = signed(qcow2);
        try (DownloadedImage image = downloader.download(service, CTX, meta.id())) {
            assertThat(Files.readAllBytes(image.path())).isEqualTo(qcow2);
        }
    }

    @Test
    void bytesChangedWithMatchingHashesAreCaughtByTheSignature() throws Exception {
        ImageMeta meta = signed(qcow2);
        byte[] tampered = qcow2.clone();
        tampered[tampered.length - 100] ^= 1;
        // An attacker who controls the store and the record: size and hashes match the new bytes.
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        hasher.update(tampered, 0, tampered.length);
        ImageDigests digests = hasher.digests();
        service.alterData(meta.id(), bytes -> tampered);
        service.alterRecord(meta.id(), m -> m.toBuilder().checksum(digests.md5()).multihash("sha512", digests.multihash()).build());
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(SignatureVerificationException.class).hasMessageContaining(meta.id());
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aPartialSetOfSignaturePropertiesIsRefusedBeforeDownloading() throws Exception {
        ImageMeta meta = signed(qcow2);
        service.alterRecord(meta.id(), m -> {
            Map<String, String> properties = new java.util.HashMap<>(m.properties());
            properties.remove("img_signature");
            return m.toBuilder().properties(properties).build();
        });
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(SignatureVerificationException.class).hasMessageContaining("img_signature");
        assertThat(service.downloads()).isZero();
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void anUnknownCertificateIsRefusedBeforeDownloading() throws Exception {
        ImageMeta meta = signed(qcow2);
        String other = UUID.randomUUID().toString();
        service.alterRecord(meta.id(), m -> m.toBuilder().property("img_signature_certificate_uuid", other).build());
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(SignatureVerificationException.class).hasMessageContaining(other);
        assertThat(service.downloads()).isZero();
    }

    @Test
    void unsignedImagesPassUnlessThePolicyRequiresSignatures() throws Exception {
        ImageMeta meta = service.add("qcow2", qcow2);
        try (DownloadedImage image = downloader.download(service, CTX, meta.id())) {
            assertThat(image.image().format()).isEqualTo(DiskFormat.QCOW2);
        }
        ImageDownloader strict = ImageDownloader.using(ImageValidator.of(ImagePolicy.defaults()),
                ImageConversionDirectory.of(conversionDir)).withSignatures(new SignaturePolicy(
                        CertificateStore.directory(dir.resolve("certificates")), TrustPolicy.validityOnly(), Clock.systemUTC(), true));
        assertThatThrownBy(() -> strict.download(service, CTX, meta.id()))
                .isInstanceOf(SignatureVerificationException.class).hasMessageContaining("is not signed");
        assertThat(service.downloads()).isEqualTo(1);
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
    }
}
