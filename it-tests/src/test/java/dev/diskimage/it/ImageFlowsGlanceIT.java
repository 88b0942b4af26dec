package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.catalog.GlanceImageService;
import dev.diskimage.catalog.testing.GlanceServer;
import dev.diskimage.conversion.ImageConverter;
import dev.diskimage.conversion.images.FetchResult;
import dev.diskimage.conversion.images.ImageDownloader;
import dev.diskimage.conversion.images.SignaturePolicy;
import dev.diskimage.conversion.images.TemporaryImage;
import dev.diskimage.conversion.images.TemporaryImages;
import dev.diskimage.conversion.images.UploadResult;
import dev.diskimage.conversion.images.VolumeImages;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgComparison;
import dev.diskimage.core.SignatureVerificationException;
import dev.diskimage.core.service.ImageChanges;
import dev.diskimage.core.service.ImageIntegrityException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.core.testing.RealQemuImg;
import dev.diskimage.crypto.CertificateStore;
import dev.diskimage.crypto.TrustPolicy;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageUnacceptableException;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cinder's flows against a real glance-api: fetch_to_volume_format of raw, qcow2 and vmdk images
 * into raw and qcow2 volumes, upload_volume and back, TemporaryImages shared by eight threads
 * (one GET in Glance's log), bytes altered in Glance's store, a malicious qcow2, and images signed
 * by openssl (RSA-PSS and a binary-curve ECDSA key) verified in the download pass.
 */
class ImageFlowsGlanceIT {
    private static final long MIB = 1 << 20;
    private static GlanceServer glance;
    private static GlanceImageService service;
    private final RequestContext ctx = GlanceServer.context();
    private final ImageValidator validator = ImageValidator.of(ImagePolicy.defaults(), QemuImg.system());

    @TempDir
    Path dir;
    private Path conversionDir;
    private Path raw;
    private TemporaryImages temporaryImages;
    private VolumeImages flows;

    @BeforeAll
    static void startGlance() {
        glance = GlanceServer.start();
        service = GlanceImageService.connect(glance.baseUrl());
    }

    @AfterAll
    static void stopGlance() {
        if (glance != null) {
            glance.close();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        conversionDir = Files.createDirectories(dir.resolve("conversion"));
        raw = dir.resolve("disk.raw");
        Random random = new Random(16);
        try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
            file.setLength(8 * MIB);
            byte[] block = new byte[(int) MIB];
            for (int i = 0; i < 3; i++) {
                random.nextBytes(block);
                file.write(block);
            }
        }
        temporaryImages = TemporaryImages.using(ImageDownloader.using(validator, ImageConversionDirectory.of(conversionDir)));
        flows = VolumeImages.using(temporaryImages, ImageConverter.using(QemuImg.system(), validator));
    }

    private Path image(DiskFormat format, String... options) {
        if (format == DiskFormat.RAW) {
            return raw;
        }
        Path file = dir.resolve("image-" + format.qemuName() + options.length + "." + format.qemuName());
        List<String> args = new ArrayList<>(List.of("convert", "-q", "-f", "raw", "-O", format.qemuName()));
        for (String option : options) {
            args.addAll(List.of("-o", option));
        }
        args.addAll(List.of(raw.toString(), file.toString()));
        RealQemuImg.run(args.toArray(String[]::new));
        return file;
    }

    private ImageMeta upload(Path file, DiskFormat format, Map<String, String> properties) {
        ImageMeta created = service.create(ctx, NewImage.of(file.getFileName().toString(), format.glanceName()));
        ImageMeta uploaded = service.upload(ctx, created.id(), file);
        // Set after the upload: Glance would verify signature properties itself while uploading, with
        // certificates from Barbican, which this test Glance has not.
        return properties.isEmpty() ? uploaded : service.update(ctx, created.id(), ImageChanges.setting(properties), false);
    }

    private boolean sameAsRaw(Path volume, DiskFormat format) {
        return QemuImg.system().compare(raw, DiskFormat.RAW, volume, format, false) == QemuImgComparison.IDENTICAL;
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(conversionDir)) {
            return files.toList();
        }
    }

    @Test
    void rawQcow2AndVmdkImagesBecomeRawAndQcow2Volumes() throws IOException {
        for (Path file : List.of(image(DiskFormat.RAW), image(DiskFormat.QCOW2),
                image(DiskFormat.VMDK, "subformat=streamOptimized"))) {
            DiskFormat format = file == raw ? DiskFormat.RAW
                    : file.toString().endsWith(".qcow2") ? DiskFormat.QCOW2 : DiskFormat.VMDK;
            ImageMeta meta = upload(file, format, Map.of());
            for (DiskFormat volumeFormat : List.of(DiskFormat.RAW, DiskFormat.QCOW2)) {
                Path volume = dir.resolve("volume-" + meta.id() + "." + volumeFormat.qemuName());
                FetchResult result = flows.fetchToVolumeFormat(ctx, service, meta.id(), volume, volumeFormat, 1 << 20,
                        OptionalLong.of(1));
                assertThat(result.imageFormat()).isEqualTo(format);
                assertThat(result.streamedDirectly()).isEqualTo(format == DiskFormat.RAW && volumeFormat == DiskFormat.RAW);
                assertThat(sameAsRaw(volume, volumeFormat)).as(format + " -> " + volumeFormat).isTrue();
            }
        }
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void uploadVolumeThenFetchGivesTheVolumeBack() throws IOException {
        ImageMeta created = service.create(ctx, NewImage.of("backup", "qcow2"));
        UploadResult uploaded = flows.uploadVolume(ctx, service, created, raw, DiskFormat.RAW, true);
        assertThat(uploaded.converted()).isTrue();
        assertThat(uploaded.meta().checksum()).contains(uploaded.digests().md5());
        assertThat(uploaded.meta().osHashValue()).contains(uploaded.digests().multihash());
        Path volume = dir.resolve("restored.raw");
        flows.fetchToRaw(ctx, service, created.id(), volume, 1 << 20, OptionalLong.empty());
        assertThat(sameAsRaw(volume, DiskFormat.RAW)).isTrue();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void bytesAlteredInGlancesStoreFailTheChecksumAndLeaveNothing() throws IOException {
        ImageMeta meta = upload(image(DiskFormat.QCOW2), DiskFormat.QCOW2, Map.of());
        Path stored = glance.storedFile(meta.id());
        byte[] bytes = Files.readAllBytes(stored);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(stored, bytes);
        Path volume = dir.resolve("volume.raw");
        assertThatThrownBy(() -> flows.fetchToRaw(ctx, service, meta.id(), volume, 1 << 20, OptionalLong.empty()))
                .isInstanceOf(ImageIntegrityException.class).hasMessageContaining(meta.id());
        assertThat(volume).doesNotExist();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aMaliciousQcow2UploadedToGlanceIsRefusedByFetch() throws IOException {
        Path secret = Files.writeString(dir.resolve("host-secret"), "not for guests");
        Path evil = dir.resolve("evil.qcow2");
        RealQemuImg.run("create", "-q", "-f", "qcow2", "-b", secret.toString(), "-F", "raw", evil.toString(), "16M");
        ImageMeta meta = upload(evil, DiskFormat.QCOW2, Map.of());
        Path volume = dir.resolve("volume.raw");
        assertThatThrownBy(() -> flows.fetchToRaw(ctx, service, meta.id(), volume, 1 << 20, OptionalLong.empty()))
                .isInstanceOf(ImageUnacceptableException.class).hasMessageContaining("backing");
        assertThat(volume).doesNotExist();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void eightThreadsInOverlappingScopesCauseOneDownload() throws Exception {
        ImageMeta meta = upload(image(DiskFormat.QCOW2), DiskFormat.QCOW2, Map.of());
        CountDownLatch allOpen = new CountDownLatch(8);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Path>> scopes = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                scopes.add(pool.submit(() -> {
                    try (TemporaryImage held = temporaryImages.open(service, ctx, meta.id())) {
                        allOpen.countDown();
                        assertThat(allOpen.await(60, TimeUnit.SECONDS)).isTrue();
                        Path volume = dir.resolve("volume-" + n + ".raw");
                        flows.fetchToRaw(ctx, service, meta.id(), volume, 1 << 20, OptionalLong.empty());
                        assertThat(sameAsRaw(volume, DiskFormat.RAW)).isTrue();
                        return held.path();
                    }
                }));
            }
            List<Path> paths = new ArrayList<>();
            for (Future<Path> scope : scopes) {
                paths.add(scope.get(120, TimeUnit.SECONDS));
            }
            assertThat(paths).containsOnly(paths.get(0));
        } finally {
            pool.shutdownNow();
        }
        assertThat(glance.awaitDownloads(meta.id(), 1)).isEqualTo(1);
        Thread.sleep(500);
        assertThat(glance.downloads(meta.id())).as("GETs of the image's data in Glance's log").isEqualTo(1);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void imagesSignedWithRsaPssAndABinaryCurveVerifyAndAForeignSignatureFails() throws Exception {
        Path certificates = Files.createDirectories(dir.resolve("certificates"));
        Path qcow2 = image(DiskFormat.QCOW2);
        ImageDownloader signed = ImageDownloader.using(validator, ImageConversionDirectory.of(conversionDir))
                .withSignatures(new SignaturePolicy(CertificateStore.directory(certificates), TrustPolicy.validityOnly(),
                        Clock.systemUTC(), true));
        VolumeImages verifying = VolumeImages.using(TemporaryImages.using(signed), ImageConverter.using(QemuImg.system(), validator));
        for (String[] key : List.of(new String[] {"RSA-PSS", "rsa", "rsa_keygen_bits:3072"},
                new String[] {"ECC_SECT571K1", "ec", "ec_paramgen_curve:sect571k1"})) {
            String id = UUID.randomUUID().toString();
            Path privateKey = dir.resolve(id + ".key");
            openssl("req", "-x509", "-newkey", key[1], "-pkeyopt", key[2], "-nodes", "-keyout", privateKey.toString(),
                    "-out", certificates.resolve(id + ".pem").toString(), "-days", "2", "-subj", "/CN=" + key[0]);
            Map<String, String> properties = Map.of("img_signature", sign(privateKey, qcow2, key[0]),
                    "img_signature_hash_method", "SHA-256", "img_signature_key_type", key[0],
                    "img_signature_certificate_uuid", id);
            ImageMeta good = upload(qcow2, DiskFormat.QCOW2, properties);
            Path volume = dir.resolve("signed-" + key[0] + ".raw");
            verifying.fetchToRaw(ctx, service, good.id(), volume, 1 << 20, OptionalLong.empty());
            assertThat(sameAsRaw(volume, DiskFormat.RAW)).as(key[0]).isTrue();

            Map<String, String> foreign = new java.util.HashMap<>(properties);
            foreign.put("img_signature", sign(privateKey, raw, key[0]));
            ImageMeta bad = upload(qcow2, DiskFormat.QCOW2, foreign);
            Path refused = dir.resolve("refused-" + key[0] + ".raw");
            assertThatThrownBy(() -> verifying.fetchToRaw(ctx, service, bad.id(), refused, 1 << 20, OptionalLong.empty()))
                    .as(key[0]).isInstanceOf(SignatureVerificationException.class).hasMessageContaining(bad.id());
            assertThat(refused).doesNotExist();
        }
        ImageMeta unsigned = upload(qcow2, DiskFormat.QCOW2, Map.of());
        assertThatThrownBy(() -> verifying.fetchToRaw(ctx, service, unsigned.id(), dir.resolve("u.raw"), 1 << 20,
                OptionalLong.empty())).isInstanceOf(SignatureVerificationException.class).hasMessageContaining("not signed");
        assertThat(glance.downloads(unsigned.id())).isZero();
        assertThat(leftovers()).isEmpty();
    }

    private String sign(Path privateKey, Path data, String keyType) throws Exception {
        Path signature = dir.resolve("signature");
        List<String> args = new ArrayList<>(List.of("dgst", "-sha256", "-sign", privateKey.toString()));
        if (keyType.equals("RSA-PSS")) {
            args.addAll(List.of("-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-2"));
        }
        args.addAll(List.of("-out", signature.toString(), data.toString()));
        openssl(args.toArray(String[]::new));
        return Base64.getEncoder().encodeToString(Files.readAllBytes(signature));
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
    }
}
