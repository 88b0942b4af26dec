package dev.diskimage.conversion.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.TestImages;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.service.ImageIntegrityException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageServiceException;
import dev.diskimage.core.service.ImageServiceUnavailableException;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.core.testing.InMemoryImageService;
import dev.diskimage.validation.FindingCode;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageUnacceptableException;
import dev.diskimage.validation.ImageValidator;
import java.io.FilterInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verified download pass: every check, every fault, and nothing left behind. */
class ImageDownloaderTest {
    private static final RequestContext CTX = RequestContext.anonymous();

    @TempDir
    Path dir;
    private Path conversionDir;
    private InMemoryImageService service;
    private ImageDownloader downloader;
    private byte[] qcow2;

    @BeforeEach
    void setUp() throws IOException {
        conversionDir = Files.createDirectories(dir.resolve("conversion"));
        service = new InMemoryImageService();
        downloader = ImageDownloader.using(ImageValidator.of(ImagePolicy.defaults()), ImageConversionDirectory.of(conversionDir));
        Path raw = TestImages.raw(dir, "disk.raw", 4 * FlowImages.MIB, 1);
        qcow2 = Files.readAllBytes(TestImages.converted(raw, dir.resolve("disk.qcow2"), DiskFormat.QCOW2));
    }

    @Test
    void downloadsVerifiesAndValidatesThenDeletesOnClose() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        Path saved;
        try (DownloadedImage image = downloader.download(service, CTX, meta.id())) {
            saved = image.path();
            assertThat(Files.readAllBytes(saved)).isEqualTo(qcow2);
            assertThat(image.image().format()).isEqualTo(DiskFormat.QCOW2);
            assertThat(image.image().virtualSize()).isEqualTo(4 * FlowImages.MIB);
            assertThat(image.stream().digests().md5()).isEqualTo(meta.checksum().orElseThrow());
            assertThat(image.stream().digests().multihash()).isEqualTo(meta.osHashValue().orElseThrow());
            assertThat(saved.getParent()).isEqualTo(conversionDir);
            assertThat(saved.getFileName().toString()).startsWith("diskimage.default.image_download_");
        }
        assertThat(saved).doesNotExist();
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void progressIsReportedAfterEveryChunkUpToTheWholeSize() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        java.util.List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (DownloadedImage image = downloader.withProgress((m, bytes, total) -> seen.add(bytes))
                .download(service, CTX, meta.id())) {
            assertThat(seen).isSorted().doesNotHaveDuplicates().last().isEqualTo((long) qcow2.length);
            assertThat(seen.size()).isGreaterThanOrEqualTo(qcow2.length / ImageDownloader.BUFFER_SIZE);
        }
    }

    @Test
    void qemuImgGivesItsSecondOpinionOnTheSavedFileWhateverThePolicySays() throws IOException {
        // A qemu-img that sees a raw file of 1 byte where the inspectors see a qcow2 of 4 MiB.
        Path fake = dir.resolve("bin/qemu-img");
        Files.createDirectories(fake.getParent());
        Files.writeString(fake, "#!/bin/sh\ncase \"$1\" in --version) echo 'qemu-img version 7.2.0';;"
                + " *) echo '{\"filename\": \"image\", \"format\": \"raw\", \"virtual-size\": 1}';; esac\n");
        fake.toFile().setExecutable(true);
        ImagePolicy policy = ImagePolicy.defaults();
        assertThat(policy.qemuCrossCheck()).isFalse();
        ImageDownloader crossChecked = ImageDownloader.using(ImageValidator.of(policy,
                dev.diskimage.core.QemuImg.at(fake)), ImageConversionDirectory.of(conversionDir));
        ImageMeta meta = service.add("qcow2", qcow2);
        assertThatThrownBy(() -> crossChecked.download(service, CTX, meta.id()))
                .isInstanceOfSatisfying(ImageUnacceptableException.class, e -> assertThat(e.findings())
                        .anySatisfy(f -> assertThat(f.code()).isEqualTo(FindingCode.QEMU_DISAGREES)));
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void alteredStoredBytesFailTheChecksumAndLeaveNothing() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        service.alterData(meta.id(), bytes -> {
            bytes[bytes.length - 1] ^= 1;
            return bytes;
        });
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining(meta.id()).hasMessageContaining("checksum (md5) mismatch");
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aMultihashMismatchIsCaughtEvenWhenTheMd5Matches() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        service.alterRecord(meta.id(), m -> m.toBuilder().multihash("sha512", "00".repeat(64)).build());
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageIntegrityException.class).hasMessageContaining("multihash (sha512) mismatch");
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void theNamedMultihashAlgorithmIsTheOneComputed() throws Exception {
        ImageMeta meta = service.add("qcow2", qcow2);
        String sha256 = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(qcow2));
        service.alterRecord(meta.id(), m -> m.toBuilder().multihash("sha256", sha256).build());
        try (DownloadedImage image = downloader.download(service, CTX, meta.id())) {
            assertThat(image.stream().digests().multihash()).isEqualTo(sha256);
        }
        service.alterRecord(meta.id(), m -> m.toBuilder().multihash("md4", sha256).build());
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageIntegrityException.class).hasMessageContaining("os_hash_algo md4");
    }

    @Test
    void aBodyLongerThanTheStatedSizeIsCutOff() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        service.alterRecord(meta.id(), m -> m.toBuilder().size(qcow2.length - 1).build());
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining("more than the " + (qcow2.length - 1) + " bytes");
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aShortBodyIsRefused() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        service.alterData(meta.id(), bytes -> Arrays.copyOf(bytes, bytes.length - 512));
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining("says " + qcow2.length + " bytes, but " + (qcow2.length - 512) + " bytes arrived");
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aConnectionThatBreaksMidwayIsATypedErrorAndLeavesNothing() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        service.downloadFault(in -> new FilterInputStream(in) {
            private long passed;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (passed > 100_000) {
                    throw new IOException("Connection reset");
                }
                int n = super.read(b, off, Math.min(len, 65536));
                passed += Math.max(n, 0);
                return n;
            }
        });
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageServiceUnavailableException.class)
                .hasMessageContaining(meta.id()).hasMessageContaining("broke after").hasMessageContaining("Connection reset");
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aTypedErrorFromTheServicesStreamReachesTheCallerAsItIs() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        service.downloadFault(in -> new FilterInputStream(in) {
            private int reads;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (++reads > 3) {
                    throw new ImageServiceUnavailableException("no data for 2000 ms (read timeout)", -1, null);
                }
                return super.read(b, off, Math.min(len, 4096));
            }
        });
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageServiceUnavailableException.class).hasMessageContaining("read timeout");
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aQcow2WithABackingFileIsRefusedInTheStream() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret"), "host secret");
        ImageMeta meta = service.add("qcow2", Files.readAllBytes(FlowImages.qcow2WithBackingFile(dir, secret)));
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOfSatisfying(ImageUnacceptableException.class, e -> assertThat(e.findings())
                        .anySatisfy(f -> assertThat(f.code()).isEqualTo(FindingCode.QCOW2_BACKING_FILE)));
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aDeclaredFormatThatTheBytesContradictIsRefused() throws IOException {
        ImageMeta meta = service.add("raw", qcow2);
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOfSatisfying(ImageUnacceptableException.class, e -> assertThat(e.findings())
                        .anySatisfy(f -> assertThat(f.code()).isEqualTo(FindingCode.FORMAT_MISMATCH)));
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aDiskFormatThisProjectDoesNotHandleIsRefusedBeforeDownloading() {
        ImageMeta meta = service.add("ami", qcow2);
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageUnacceptableException.class).hasMessageContaining("disk_format ami");
        assertThat(service.downloads()).isZero();
    }

    @Test
    void anImageWithoutDataIsNotDownloaded() {
        String id = service.create(CTX, dev.diskimage.core.service.NewImage.of("empty", "raw")).id();
        assertThatThrownBy(() -> downloader.download(service, CTX, id))
                .isInstanceOf(ImageServiceException.class).hasMessageContaining("is queued, not active");
    }

    @Test
    void aRecordWithoutHashesIsRefusedUnlessAllowed() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        service.alterRecord(meta.id(), m -> new ImageMeta(m.id(), m.name(), m.status(), m.diskFormat(),
                m.containerFormat(), m.size(), m.virtualSize(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), m.visibility(), m.owner(), m.properties()));
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageIntegrityException.class).hasMessageContaining("neither a checksum nor a multihash");
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
        try (DownloadedImage image = downloader.allowingUnhashedImages(true).download(service, CTX, meta.id())) {
            assertThat(image.image().format()).isEqualTo(DiskFormat.QCOW2);
        }
    }

    @Test
    void aRawImageStreamsStraightToAFileThatAppearsWhole() throws IOException {
        byte[] raw = Files.readAllBytes(TestImages.raw(dir, "plain.raw", 2 * FlowImages.MIB, 7));
        ImageMeta meta = service.add("raw", raw);
        Path dest = dir.resolve("volume.raw");
        StreamedImage streamed = downloader.downloadTo(service, CTX, meta, dest, false, 4096);
        assertThat(Files.readAllBytes(dest)).isEqualTo(raw);
        assertThat(streamed.digests().size()).isEqualTo(raw.length);
        assertThat(streamed.report().detectedFormat()).contains(DiskFormat.RAW);
        assertThat(FlowImages.entries(dir)).noneMatch(p -> p.getFileName().toString().contains("diskimage-partial"));
    }

    @Test
    void aFailedDirectDownloadLeavesNoTargetAndNoSibling() throws IOException {
        byte[] raw = Files.readAllBytes(TestImages.raw(dir, "plain.raw", 2 * FlowImages.MIB, 7));
        ImageMeta meta = service.add("raw", raw);
        service.alterData(meta.id(), bytes -> {
            bytes[0] ^= 1;
            return bytes;
        });
        Path dest = dir.resolve("volume.raw");
        assertThatThrownBy(() -> downloader.downloadTo(service, CTX, meta, dest, false, 65536))
                .isInstanceOf(ImageIntegrityException.class);
        assertThat(dest).doesNotExist();
        assertThat(FlowImages.entries(dir)).noneMatch(p -> p.getFileName().toString().contains("diskimage-partial"));
    }

    @Test
    void aRecordWithoutSizeStillCannotSmuggleBytes() throws IOException {
        ImageMeta meta = service.add("qcow2", qcow2);
        service.alterRecord(meta.id(), m -> new ImageMeta(m.id(), m.name(), m.status(), m.diskFormat(),
                m.containerFormat(), OptionalLong.empty(), m.virtualSize(), m.checksum(), m.osHashAlgo(),
                m.osHashValue(), m.visibility(), m.owner(), m.properties()));
        service.alterData(meta.id(), bytes -> Arrays.copyOf(bytes, bytes.length + 512));
        assertThatThrownBy(() -> downloader.download(service, CTX, meta.id()))
                .isInstanceOf(ImageIntegrityException.class).hasMessageContaining("checksum (md5) mismatch");
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aFullDiskDuringTheDownloadNamesTheMountPointAndLeavesNothing() throws Exception {
        assertThat(System.getProperty("user.name")).as("this test mounts a tmpfs, so it runs as root (as CI does)")
                .isEqualTo("root");
        Path small = Files.createDirectories(dir.resolve("small"));
        assertThat(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString())
                .inheritIO().start().waitFor()).isZero();
        try {
            ImageDownloader tight = ImageDownloader.using(ImageValidator.of(ImagePolicy.defaults()),
                    ImageConversionDirectory.of(small));
            ImageMeta meta = service.add("qcow2", qcow2);
            // No size in the record: nothing to check up front, so the disk fills up midway.
            service.alterRecord(meta.id(), m -> new ImageMeta(m.id(), m.name(), m.status(), m.diskFormat(),
                    m.containerFormat(), OptionalLong.empty(), m.virtualSize(), m.checksum(), m.osHashAlgo(),
                    m.osHashValue(), m.visibility(), m.owner(), m.properties()));
            assertThat(qcow2.length).isGreaterThan(1 << 20);
            assertThatThrownBy(() -> tight.download(service, CTX, meta.id()))
                    .isInstanceOfSatisfying(dev.diskimage.core.NotEnoughSpaceException.class,
                            e -> assertThat(e.mountPoint()).isEqualTo(small));
            assertThat(FlowImages.entries(small)).isEmpty();
            service.alterRecord(meta.id(), m -> m.toBuilder().size(qcow2.length).build());
            assertThatThrownBy(() -> tight.download(service, CTX, meta.id()))
                    .as("with a size, refused before the download").isInstanceOf(dev.diskimage.core.NotEnoughSpaceException.class);
        } finally {
            new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
        }
    }
}
