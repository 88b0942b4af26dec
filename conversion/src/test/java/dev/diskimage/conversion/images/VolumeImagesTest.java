package dev.diskimage.conversion.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.ConversionRefusedException;
import dev.diskimage.conversion.ImageConverter;
import dev.diskimage.conversion.TestImages;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.ImageTooBigException;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgCreateRequest;
import dev.diskimage.core.service.ImageIntegrityException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.core.testing.InMemoryImageService;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageUnacceptableException;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidatedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cinder's flows over a service, with the real qemu-img: fetch, fetch_to_volume_format, upload_volume. */
class VolumeImagesTest {
    private static final RequestContext CTX = RequestContext.anonymous();
    private static final ImageValidator VALIDATOR = ImageValidator.of(ImagePolicy.defaults());

    @TempDir
    Path dir;
    private Path conversionDir;
    private InMemoryImageService service;
    private TemporaryImages temporaryImages;
    private VolumeImages flows;
    private Path raw;

    @BeforeEach
    void setUp() throws IOException {
        conversionDir = Files.createDirectories(dir.resolve("conversion"));
        service = new InMemoryImageService();
        temporaryImages = TemporaryImages.using(ImageDownloader.using(VALIDATOR, ImageConversionDirectory.of(conversionDir)));
        flows = VolumeImages.using(temporaryImages, ImageConverter.using(QemuImg.system(), VALIDATOR));
        raw = TestImages.raw(dir, "disk.raw", 4 * FlowImages.MIB, 3);
    }

    private ImageMeta add(DiskFormat format) throws IOException {
        Path image = format == DiskFormat.RAW ? raw
                : TestImages.converted(raw, dir.resolve("disk." + format.qemuName()), format);
        return service.add(format.glanceName(), Files.readAllBytes(image));
    }

    @Test
    void qcow2AndVmdkImagesBecomeRawVolumesWithTheSameContent() throws IOException {
        for (DiskFormat format : new DiskFormat[] {DiskFormat.QCOW2, DiskFormat.VMDK, DiskFormat.VPC, DiskFormat.VDI}) {
            ImageMeta meta = add(format);
            Path volume = dir.resolve("volume-" + format.qemuName() + ".raw");
            FetchResult result = flows.fetchToRaw(CTX, service, meta.id(), volume, 1 << 20, OptionalLong.of(1));
            assertThat(result.streamedDirectly()).isFalse();
            assertThat(result.imageFormat()).isEqualTo(format);
            assertThat(result.volumeFormat()).isEqualTo(DiskFormat.RAW);
            assertThat(FlowImages.sameContent(raw, DiskFormat.RAW, volume, DiskFormat.RAW)).as(format.name()).isTrue();
        }
        assertThat(FlowImages.entries(conversionDir)).as("downloads deleted").isEmpty();
    }

    @Test
    void aRawImageGoesStraightToARawVolumeWithoutATemporaryFile() throws IOException {
        ImageMeta meta = add(DiskFormat.RAW);
        Path volume = dir.resolve("volume.raw");
        FetchResult result = flows.fetchToRaw(CTX, service, meta.id(), volume, 4096, OptionalLong.of(1));
        assertThat(result.streamedDirectly()).isTrue();
        assertThat(Files.readAllBytes(volume)).isEqualTo(Files.readAllBytes(raw));
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void aRawImageBecomesAQcow2Volume() throws IOException {
        ImageMeta meta = add(DiskFormat.RAW);
        Path volume = dir.resolve("volume.qcow2");
        FetchResult result = flows.fetchToVolumeFormat(CTX, service, meta.id(), volume, DiskFormat.QCOW2, 1 << 20,
                OptionalLong.empty());
        assertThat(result.volumeFormat()).isEqualTo(DiskFormat.QCOW2);
        assertThat(FlowImages.sameContent(raw, DiskFormat.RAW, volume, DiskFormat.QCOW2)).isTrue();
    }

    @Test
    void aDirectoryIsNoDestinationAndNothingIsDownloaded() throws IOException {
        ImageMeta meta = add(DiskFormat.QCOW2);
        assertThatThrownBy(() -> flows.fetchToRaw(CTX, service, meta.id(), dir, 4096, OptionalLong.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is a directory");
        assertThat(service.downloads()).isZero();
        assertThatThrownBy(() -> flows.fetch(CTX, service, meta.id(), dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is a directory");
        assertThat(service.downloads()).as("fetch refuses before downloading too").isZero();
    }

    @Test
    void fetchToVhdWritesAVpcVolume() throws IOException {
        ImageMeta meta = add(DiskFormat.QCOW2);
        Path volume = dir.resolve("volume.vhd");
        FetchResult result = flows.fetchToVhd(CTX, service, meta.id(), volume, 1 << 20);
        assertThat(result.volumeFormat()).isEqualTo(DiskFormat.VPC);
        assertThat(VALIDATOR.check(volume, DiskFormat.VPC).format()).isEqualTo(DiskFormat.VPC);
    }

    @Test
    void anImageLargerThanTheVolumeIsRefusedWithBothSizes() throws IOException {
        ImageMeta meta = add(DiskFormat.RAW);
        // A raw image's virtual size is its size: the record's claim is checked before the download.
        service.alterRecord(meta.id(), m -> m.toBuilder().size((1L << 30) + 1).build());
        assertThatThrownBy(() -> flows.fetchToRaw(CTX, service, meta.id(), dir.resolve("v.raw"), 4096, OptionalLong.of(1)))
                .isInstanceOf(ImageTooBigException.class).hasMessageContaining(meta.id());
        assertThat(service.downloads()).as("refused before the download").isZero();
        Path sparse = dir.resolve("big.qcow2");
        QemuImg.system().create(QemuImgCreateRequest.builder(sparse, DiskFormat.QCOW2).size((1L << 30) + 512).build());
        ImageMeta packed = service.add("qcow2", Files.readAllBytes(sparse));
        assertThatThrownBy(() -> flows.fetchToRaw(CTX, service, packed.id(), dir.resolve("v.raw"), 4096, OptionalLong.of(1)))
                .isInstanceOfSatisfying(ImageTooBigException.class, e -> {
                    assertThat(e.virtualSize()).isEqualTo((1L << 30) + 512);
                    assertThat(e.limit()).isEqualTo(1L << 30);
                });
        assertThat(dir.resolve("v.raw")).doesNotExist();
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void disabledConversionRefusesBeforeDownloading() throws IOException {
        VolumeImages strict = VolumeImages.using(temporaryImages,
                ImageConverter.using(QemuImg.system(), VALIDATOR).withImageConversionDisabled(true));
        ImageMeta meta = add(DiskFormat.QCOW2);
        assertThatThrownBy(() -> strict.fetchToRaw(CTX, service, meta.id(), dir.resolve("v.raw"), 4096, OptionalLong.empty()))
                .isInstanceOfSatisfying(ConversionRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(ConversionRefusedException.Reason.CONVERSION_DISABLED));
        assertThat(service.downloads()).isZero();
        ImageMeta plain = add(DiskFormat.RAW);
        assertThat(strict.fetchToRaw(CTX, service, plain.id(), dir.resolve("v.raw"), 4096, OptionalLong.empty())
                .streamedDirectly()).isTrue();
    }

    @Test
    void aMaliciousQcow2NeverReachesTheVolume() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret"), "host secret");
        ImageMeta meta = service.add("qcow2", Files.readAllBytes(FlowImages.qcow2WithBackingFile(dir, secret)));
        Path volume = dir.resolve("volume.raw");
        assertThatThrownBy(() -> flows.fetchToRaw(CTX, service, meta.id(), volume, 4096, OptionalLong.empty()))
                .isInstanceOf(ImageUnacceptableException.class);
        assertThat(volume).doesNotExist();
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void fetchVerifyImageLeavesAValidatedFile() throws IOException {
        ImageMeta meta = add(DiskFormat.QCOW2);
        Path dest = dir.resolve("fetched.qcow2");
        ValidatedImage image = flows.fetchVerifyImage(CTX, service, meta.id(), dest);
        assertThat(image.path()).isEqualTo(dest);
        assertThat(image.format()).isEqualTo(DiskFormat.QCOW2);
    }

    @Test
    void fetchesInsideATemporaryImageScopeReuseTheDownload() throws IOException {
        ImageMeta meta = add(DiskFormat.QCOW2);
        try (TemporaryImage held = temporaryImages.open(service, CTX, meta.id())) {
            flows.fetchToRaw(CTX, service, meta.id(), dir.resolve("a.raw"), 4096, OptionalLong.empty());
            flows.fetchToVolumeFormat(CTX, service, meta.id(), dir.resolve("b.qcow2"), DiskFormat.QCOW2, 4096,
                    OptionalLong.empty());
            assertThat(service.downloads()).isEqualTo(1);
            assertThat(held.path()).exists();
        }
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void uploadVolumeConvertsCompressesAndVerifiesTheServiceHashes() throws IOException {
        ImageMeta meta = service.create(CTX, NewImage.of("backup", "qcow2"));
        UploadResult result = flows.uploadVolume(CTX, service, meta, raw, DiskFormat.RAW, true);
        assertThat(result.converted()).isTrue();
        assertThat(result.meta().checksum()).contains(result.digests().md5());
        Path back = dir.resolve("back.qcow2");
        try (InputStream in = service.download(CTX, meta.id())) {
            Files.copy(in, back);
        }
        assertThat(FlowImages.sameContent(raw, DiskFormat.RAW, back, DiskFormat.QCOW2)).isTrue();
        assertThat(FlowImages.entries(conversionDir)).isEmpty();
    }

    @Test
    void uploadVolumeSendsARawVolumeAsItIs() throws IOException {
        ImageMeta meta = service.create(CTX, NewImage.of("backup", "raw"));
        UploadResult result = flows.uploadVolume(CTX, service, meta, raw, DiskFormat.RAW, false);
        assertThat(result.converted()).isFalse();
        try (InputStream in = service.download(CTX, meta.id())) {
            assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(raw));
        }
    }

    @Test
    void uploadVolumeRefusesCompressionForFormatsThatCannotCompress() {
        ImageMeta meta = service.create(CTX, NewImage.of("backup", "vmdk"));
        assertThatThrownBy(() -> flows.uploadVolume(CTX, service, meta, raw, DiskFormat.RAW, true))
                .isInstanceOfSatisfying(ConversionRefusedException.class, e -> assertThat(e.reason())
                        .isEqualTo(ConversionRefusedException.Reason.COMPRESSION_UNSUPPORTED));
    }

    @Test
    void aServiceThatStoresOtherBytesThanSentIsCaught() {
        InMemoryImageService lying = new InMemoryImageService() {
            @Override
            public ImageMeta upload(RequestContext ctx, String id, InputStream data, OptionalLong size) {
                super.upload(ctx, id, data, size);
                alterRecord(id, m -> m.toBuilder().checksum("0".repeat(32)).build());
                return get(ctx, id);
            }
        };
        ImageMeta meta = lying.create(CTX, NewImage.of("backup", "raw"));
        assertThatThrownBy(() -> flows.uploadVolume(CTX, lying, meta, raw, DiskFormat.RAW, false))
                .isInstanceOf(ImageIntegrityException.class).hasMessageContaining("upload to memory")
                .hasMessageContaining("checksum (md5) mismatch");
    }

    @Test
    void aVolumeThatFailsValidationIsNotUploaded() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret"), "host secret");
        Path evil = FlowImages.qcow2WithBackingFile(dir, secret);
        ImageMeta meta = service.create(CTX, NewImage.of("backup", "qcow2"));
        assertThatThrownBy(() -> flows.uploadVolume(CTX, service, meta, evil, DiskFormat.QCOW2, false))
                .isInstanceOf(ImageUnacceptableException.class);
        assertThat(service.get(CTX, meta.id()).status().serviceName()).isEqualTo("queued");
    }
}
