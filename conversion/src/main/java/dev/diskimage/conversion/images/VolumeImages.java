package dev.diskimage.conversion.images;

import dev.diskimage.conversion.BlockDevice;
import dev.diskimage.conversion.ConversionRefusedException;
import dev.diskimage.conversion.ConversionResult;
import dev.diskimage.conversion.ConvertRequest;
import dev.diskimage.conversion.ImageConverter;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.SpaceCheck;
import dev.diskimage.core.TemporaryDirectory;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageIntegrityException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.ImageServiceException;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidatedImage;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cinder's image flows between an image service and volumes: {@code fetch},
 * {@code fetch_verify_image}, {@code fetch_to_raw}, {@code fetch_to_vhd},
 * {@code fetch_to_volume_format} and {@code upload_volume}.
 *
 * <p>Every image is downloaded in one verified pass ({@link ImageDownloader}) and validated as a
 * file before it is converted; downloads are shared with open {@link TemporaryImages} scopes. A
 * raw image for a raw volume goes straight to the destination, hashed and validated on the way,
 * with no temporary file. Immutable and thread-safe.
 */
public final class VolumeImages {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeImages.class);

    private final TemporaryImages temporaryImages;
    private final ImageDownloader downloader;
    private final ImageConverter converter;
    private final TransferProgress uploadProgress;

    private VolumeImages(TemporaryImages temporaryImages, ImageConverter converter, TransferProgress uploadProgress) {
        this.temporaryImages = Objects.requireNonNull(temporaryImages, "temporaryImages");
        this.downloader = temporaryImages.downloader();
        this.converter = Objects.requireNonNull(converter, "converter");
        this.uploadProgress = Objects.requireNonNull(uploadProgress, "uploadProgress");
    }

    /**
     * The flows over a registry of temporary images (its downloader downloads) and a converter.
     *
     * @param temporaryImages where downloads are shared between scopes
     * @param converter converts downloads into volume formats and volumes into image formats; its
     *     {@code imageConversionDisabled} switch is honoured
     * @return the flows
     */
    public static VolumeImages using(TemporaryImages temporaryImages, ImageConverter converter) {
        return new VolumeImages(temporaryImages, converter, TransferProgress.NONE);
    }

    /**
     * These flows, telling {@code listener} how far each upload has come (downloads report to
     * their downloader's listener).
     *
     * @param listener hears the bytes sent after each chunk
     * @return the new flows
     */
    public VolumeImages withUploadProgress(TransferProgress listener) {
        return new VolumeImages(temporaryImages, converter, listener);
    }

    /**
     * Cinder's {@code fetch}: downloads an image, verified and validated in the same pass, to a
     * file that appears whole or not at all.
     *
     * @param ctx who asks
     * @param service where the image is
     * @param imageId the image
     * @param dest the file to write (replaced if it exists)
     * @return what the pass found
     */
    public StreamedImage fetch(RequestContext ctx, ImageService service, String imageId, Path dest) {
        ImageMeta meta = ImageDownloader.activeImage(service, ctx, imageId);
        return downloader.downloadTo(service, ctx, meta, dest, false, ImageDownloader.BUFFER_SIZE);
    }

    /**
     * Cinder's {@code fetch_verify_image}: {@link #fetch}, then the file validated as a file, with
     * the qemu-img cross-check (Cinder's {@code qemu_img_info} of the file). A refused file is
     * deleted.
     *
     * @param ctx who asks
     * @param service where the image is
     * @param imageId the image
     * @param dest the file to write
     * @return the validated file at {@code dest}
     */
    public ValidatedImage fetchVerifyImage(RequestContext ctx, ImageService service, String imageId, Path dest) {
        StreamedImage streamed = fetch(ctx, service, imageId, dest);
        Optional<DiskFormat> declared = ImageDownloader.declaredFormat(streamed.meta());
        try {
            ImageValidator fileValidator = downloader.validator().withQemuCrossCheck();
            return declared.isPresent() ? fileValidator.check(dest, declared.get()) : fileValidator.check(dest);
        } catch (RuntimeException e) {
            deleteQuietly(dest);
            throw e;
        }
    }

    /**
     * Cinder's {@code fetch_to_raw}: {@link #fetchToVolumeFormat} with a raw volume.
     *
     * @param ctx who asks
     * @param service where the image is
     * @param imageId the image
     * @param dest the volume: a block device (written in place) or a file
     * @param blocksize the size of each write, in bytes (Cinder's {@code volume_dd_blocksize})
     * @param volumeSizeGiB the volume's size; the image's virtual size must fit
     * @return what was written
     */
    public FetchResult fetchToRaw(RequestContext ctx, ImageService service, String imageId, Path dest, int blocksize,
            OptionalLong volumeSizeGiB) {
        return fetchToVolumeFormat(ctx, service, imageId, dest, DiskFormat.RAW, blocksize, volumeSizeGiB);
    }

    /**
     * Cinder's {@code fetch_to_vhd}: {@link #fetchToVolumeFormat} with a VHD (vpc) volume.
     *
     * @param ctx who asks
     * @param service where the image is
     * @param imageId the image
     * @param dest the volume file
     * @param blocksize the size of each write, in bytes
     * @return what was written
     */
    public FetchResult fetchToVhd(RequestContext ctx, ImageService service, String imageId, Path dest, int blocksize) {
        return fetchToVolumeFormat(ctx, service, imageId, dest, DiskFormat.VPC, blocksize, OptionalLong.empty());
    }

    /**
     * Cinder's {@code fetch_to_volume_format}: the image, downloaded and verified, written to a
     * volume in the volume's format. The image's format must be the one its record declares and
     * pass the policy; its virtual size must fit the volume; with image conversion disabled, the
     * image must already be in the volume's format (checked before anything is downloaded). The
     * output is validated and must be of the volume format.
     *
     * @param ctx who asks
     * @param service where the image is
     * @param imageId the image
     * @param dest the volume: a block device (written in place) or a file (appears whole)
     * @param volumeFormat the format the volume holds
     * @param blocksize the size of each read and write when a raw image streams straight to the
     *     volume, in bytes (512 to 64 MiB; Cinder's {@code volume_dd_blocksize}); conversions use
     *     qemu-img's
     * @param volumeSizeGiB the volume's size, if the volume has one
     * @return what was written
     * @throws IllegalArgumentException if {@code dest} is a directory, or {@code blocksize} is out
     *     of range; nothing is downloaded then
     */
    public FetchResult fetchToVolumeFormat(RequestContext ctx, ImageService service, String imageId, Path dest,
            DiskFormat volumeFormat, int blocksize, OptionalLong volumeSizeGiB) {
        if (blocksize < 512 || blocksize > ImageDownloader.MAX_BUFFER_SIZE) {
            throw new IllegalArgumentException("blocksize " + blocksize + " is not within 512.."
                    + ImageDownloader.MAX_BUFFER_SIZE + " bytes");
        }
        if (Files.isDirectory(dest)) {
            // Refused before the download; PartialTarget refuses it too, but only once the download is done.
            throw new IllegalArgumentException("the target " + dest + " is a directory, not a file");
        }
        ImageMeta meta = ImageDownloader.activeImage(service, ctx, imageId);
        Optional<DiskFormat> declared = ImageDownloader.declaredFormat(meta);
        if (converter.imageConversionDisabled() && declared.isPresent() && declared.get() != volumeFormat) {
            throw new ConversionRefusedException(ConversionRefusedException.Reason.CONVERSION_DISABLED,
                    "image " + meta.describe() + " is " + declared.get().glanceName() + " and the volume is "
                            + volumeFormat.glanceName() + ", but image conversion is disabled");
        }
        boolean blockDevice = BlockDevice.at(dest).isPresent();
        Optional<TemporaryImage> held = temporaryImages.reuse(service, ctx, imageId);
        if (held.isEmpty() && declared.equals(Optional.of(DiskFormat.RAW)) && volumeFormat == DiskFormat.RAW
                && meta.size().isPresent()) {
            long size = meta.size().getAsLong();
            volumeSizeGiB.ifPresent(gib -> SpaceCheck.checkVirtualSize(size, gib, meta.describe()));
            StreamedImage streamed = downloader.downloadTo(service, ctx, meta, dest, blockDevice, blocksize);
            LOG.info("image {} streamed straight to {} as raw", meta.describe(), dest);
            return new FetchResult(meta, dest, DiskFormat.RAW, DiskFormat.RAW, streamed.digests().size(), true);
        }
        try (TemporaryImage image = held.orElseGet(() -> temporaryImages.open(service, ctx, meta))) {
            ValidatedImage source = image.image();
            volumeSizeGiB.ifPresent(gib -> SpaceCheck.checkVirtualSize(source.virtualSize(), gib, meta.describe()));
            ConversionResult result = converter.convertNow(ConvertRequest.builder(source, dest, volumeFormat).build());
            return new FetchResult(image.meta(), dest, result.sourceFormat(), result.targetFormat(),
                    result.virtualSize(), false);
        }
    }

    /**
     * Cinder's {@code upload_volume}: the volume, validated, converted to the image's disk format
     * when it is in another format or compression is asked (qcow2 only), uploaded to an image
     * created beforehand, and the service's checksum and multihash compared with the ones
     * computed while the bytes were read.
     *
     * @param ctx who asks
     * @param service where the image goes
     * @param meta the image's record: created, without data, with its disk format set
     * @param volume the volume: a file or block device
     * @param volumeFormat the format the volume holds
     * @param compress whether the image is written compressed (qcow2 images only)
     * @return what was sent
     * @throws ImageIntegrityException if the service's hashes differ from the bytes sent (the
     *     image then holds bytes that are not the volume's; the caller decides whether to delete it)
     */
    public UploadResult uploadVolume(RequestContext ctx, ImageService service, ImageMeta meta, Path volume,
            DiskFormat volumeFormat, boolean compress) {
        return uploadVolume(ctx, service, meta, downloader.validator().check(volume, volumeFormat), compress);
    }

    /**
     * {@link #uploadVolume(RequestContext, ImageService, ImageMeta, Path, DiskFormat, boolean)}
     * for a volume the caller has validated already (before creating the image's record, say):
     * it is checked unchanged instead of validated again.
     *
     * @param ctx who asks
     * @param service where the image goes
     * @param meta the image's record: created, without data, with its disk format set
     * @param source the validated volume
     * @param compress whether the image is written compressed (qcow2 images only)
     * @return what was sent
     */
    public UploadResult uploadVolume(RequestContext ctx, ImageService service, ImageMeta meta, ValidatedImage source,
            boolean compress) {
        DiskFormat imageFormat = ImageDownloader.declaredFormat(meta).orElseThrow(() -> new ImageServiceException(
                "image " + meta.describe() + " has no disk_format; set it before uploading a volume to it"));
        if (compress && imageFormat != DiskFormat.QCOW2) {
            throw new ConversionRefusedException(ConversionRefusedException.Reason.COMPRESSION_UNSUPPORTED,
                    "image " + meta.describe() + " is " + imageFormat.glanceName()
                            + ": only qcow2 images can be written compressed");
        }
        if (imageFormat == source.format() && !compress) {
            UploadResult result = upload(ctx, service, meta, source.requireUnchanged().path(), imageFormat, false);
            // The bytes sent must be the bytes validated.
            source.requireUnchanged();
            return result;
        }
        try (TemporaryDirectory scratch = downloader.directory().temporaryDirectory()) {
            Path converted = scratch.path().resolve("upload." + imageFormat.qemuName());
            converter.convertNow(ConvertRequest.builder(source, converted, imageFormat).compress(compress).build());
            return upload(ctx, service, meta, converted, imageFormat, true);
        }
    }

    private UploadResult upload(RequestContext ctx, ImageService service, ImageMeta meta, Path file,
            DiskFormat format, boolean converted) {
        ImageHasher hasher = ImageHasher.forImage(meta);
        ImageMeta uploaded;
        try (InputStream in = Files.newInputStream(file)) {
            OptionalLong size = OptionalLong.of(sizeOf(file));
            // Hashed in large reads, whatever size the service's client reads in (the JDK's
            // HttpClient takes 16 KiB at a time): the hasher splits md5 and the multihash over two
            // threads only for large chunks, and one thread doing both halves the upload's rate.
            InputStream hashed = new BufferedInputStream(new HashingInputStream(in, hasher, meta, uploadProgress, size),
                    ImageDownloader.BUFFER_SIZE);
            uploaded = service.upload(ctx, meta.id(), hashed, size);
        } catch (IOException e) {
            throw new ImageIoException("cannot read the volume to upload as image " + meta.describe() + " from", file, e);
        }
        ImageDigests digests = hasher.digests();
        Optional<String> named = uploaded.osHashAlgo();
        if (named.isPresent() && !named.get().equalsIgnoreCase(digests.algorithm().serviceName())) {
            // The service chose another multihash than the record named when the upload began.
            digests = rehash(file, ImageHasher.forImage(uploaded));
        }
        try {
            digests.verify(uploaded, false);
        } catch (ImageIntegrityException e) {
            throw new ImageIntegrityException("upload to " + service.location() + " went wrong: " + e.getMessage());
        }
        LOG.info("uploaded {} as image {} to {}: {} bytes, md5 and {} verified", file, uploaded.describe(),
                service.location(), digests.size(), digests.algorithm().serviceName());
        return new UploadResult(uploaded, digests, format, converted);
    }

    /** A second pass over what was sent, for a service whose multihash differs from the one computed. */
    private static ImageDigests rehash(Path file, ImageHasher hasher) {
        byte[] buffer = new byte[ImageDownloader.BUFFER_SIZE];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
                hasher.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new ImageIoException("cannot read the uploaded volume again to hash it from", file, e);
        }
        return hasher.digests();
    }

    private static long sizeOf(Path file) throws IOException {
        if (BlockDevice.at(file).isPresent()) {
            try (var channel = java.nio.channels.FileChannel.open(file)) {
                return channel.size();
            }
        }
        return Files.size(file);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not remove the refused image {}: {}", file, e.getMessage());
        }
    }
}
