package dev.diskimage.conversion.images;

import dev.diskimage.conversion.PartialTarget;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.SpaceCheck;
import dev.diskimage.core.TemporaryFile;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageIntegrityException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.ImageServiceException;
import dev.diskimage.core.service.ImageServiceUnavailableException;
import dev.diskimage.core.service.ImageStatus;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.validation.Finding;
import dev.diskimage.validation.FindingCode;
import dev.diskimage.validation.ImageUnacceptableException;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.InspectingInputStream;
import dev.diskimage.validation.ValidatedImage;
import dev.diskimage.validation.ValidationReport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads an image from its service in one verified pass: Cinder's {@code fetch} with the
 * checks Cinder leaves to others.
 *
 * <p>The pass hashes (MD5 and the record's multihash), feeds the validator's inspecting stream,
 * refuses a byte beyond the size the record states, and writes. At the end the size and hashes
 * must equal the record's, the stream's verdict must be an accept, and a saved file is validated
 * again as a file, with the qemu-img cross-check whatever the policy says, before it is handed
 * out. Anything else deletes what was written and raises a
 * typed error naming the image: {@link ImageIntegrityException},
 * {@link ImageUnacceptableException}, {@link dev.diskimage.core.NotEnoughSpaceException},
 * {@link dev.diskimage.core.SignatureVerificationException} (with {@link #withSignatures}),
 * {@link ImageServiceUnavailableException} (the connection broke), or the service's own errors.
 *
 * <p>Immutable and thread-safe.
 */
public final class ImageDownloader {
    private static final Logger LOG = LoggerFactory.getLogger(ImageDownloader.class);
    /** Bytes per read and write: large enough that per-call costs vanish next to hashing. */
    static final int BUFFER_SIZE = 1 << 20;
    /** Largest buffer a caller may ask for (Cinder's {@code volume_dd_blocksize} goes to 1 GiB; this is plenty). */
    static final int MAX_BUFFER_SIZE = 64 << 20;

    private final ImageValidator validator;
    private final ImageConversionDirectory directory;
    private final boolean allowUnhashed;
    private final Function<ImageMeta, Optional<StreamCheck>> extraChecks;
    private final TransferProgress progress;

    private ImageDownloader(ImageValidator validator, ImageConversionDirectory directory, boolean allowUnhashed,
            Function<ImageMeta, Optional<StreamCheck>> extraChecks, TransferProgress progress) {
        this.validator = Objects.requireNonNull(validator, "validator");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.allowUnhashed = allowUnhashed;
        this.extraChecks = Objects.requireNonNull(extraChecks, "extraChecks");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /**
     * A downloader that validates with {@code validator} and saves into {@code directory}.
     *
     * @param validator the validator and its policy
     * @param directory where downloads are saved (Cinder's {@code image_conversion_dir})
     * @return the downloader; images whose record has no hash are refused
     */
    public static ImageDownloader using(ImageValidator validator, ImageConversionDirectory directory) {
        return new ImageDownloader(validator, directory, false, meta -> Optional.empty(), TransferProgress.NONE);
    }

    /**
     * This downloader, accepting or refusing records that state neither checksum nor multihash
     * (some services keep none; then only size and format are checked).
     *
     * @param allow whether such images are accepted
     * @return the new downloader
     */
    public ImageDownloader allowingUnhashedImages(boolean allow) {
        return new ImageDownloader(validator, directory, allow, extraChecks, progress);
    }

    /**
     * This downloader, verifying image signatures: a signed image's certificate before its
     * download, its signature over the bytes in the same pass as the hashes.
     *
     * @param policy certificates, trusted roots, and whether unsigned images are accepted
     * @return the new downloader
     */
    public ImageDownloader withSignatures(SignaturePolicy policy) {
        return withStreamCheck(policy::checkFor);
    }

    /**
     * This downloader with one more check in the pass, chosen per image (the signature check).
     *
     * @param checks gives the check for an image's record, or empty when there is none to make
     * @return the new downloader
     */
    ImageDownloader withStreamCheck(Function<ImageMeta, Optional<StreamCheck>> checks) {
        Function<ImageMeta, Optional<StreamCheck>> previous = extraChecks;
        return new ImageDownloader(validator, directory, allowUnhashed,
                meta -> previous.apply(meta).or(() -> checks.apply(meta)), progress);
    }

    /**
     * This downloader, telling {@code listener} how far each download has come.
     *
     * @param listener hears the bytes written after each chunk
     * @return the new downloader
     */
    public ImageDownloader withProgress(TransferProgress listener) {
        return new ImageDownloader(validator, directory, allowUnhashed, extraChecks, listener);
    }

    /**
     * The validator downloads are checked with.
     *
     * @return the validator
     */
    public ImageValidator validator() {
        return validator;
    }

    /**
     * The directory downloads are saved in.
     *
     * @return the conversion directory
     */
    public ImageConversionDirectory directory() {
        return directory;
    }

    /**
     * Downloads an image into a temporary file of the conversion directory.
     *
     * @param service where the image is
     * @param ctx who asks
     * @param imageId the image
     * @return the verified, validated file; close it to delete it
     */
    public DownloadedImage download(ImageService service, RequestContext ctx, String imageId) {
        return download(service, ctx, activeImage(service, ctx, imageId));
    }

    /**
     * Downloads an image whose record the caller has already read (and found active), into a
     * temporary file of the conversion directory: one metadata call less than
     * {@link #download(ImageService, RequestContext, String)}.
     *
     * @param service where the image is
     * @param ctx who asks
     * @param meta the image's record, as the service gave it
     * @return the verified, validated file; close it to delete it
     */
    public DownloadedImage download(ImageService service, RequestContext ctx, ImageMeta meta) {
        Optional<DiskFormat> declared = declaredFormat(meta);
        if (meta.size().isPresent()) {
            SpaceCheck.checkAvailableSpace(directory.path(), meta.size().getAsLong(), meta.describe());
        }
        TemporaryFile file = directory.temporaryFile("image_download_", ".img");
        try {
            StreamedImage streamed;
            try (FileChannel out = FileChannel.open(file.path(), StandardOpenOption.WRITE)) {
                streamed = transfer(service, ctx, meta, declared, out, file.path(), BUFFER_SIZE);
                out.force(false);
            } catch (IOException e) {
                throw new ImageIoException("cannot write the download of image " + meta.describe() + " to", file.path(), e);
            }
            // The stream's verdict is in; qemu-img gives its second opinion on the saved file before
            // anything converts it.
            ImageValidator fileValidator = validator.withQemuCrossCheck();
            ValidatedImage image = declared.isPresent() ? fileValidator.check(file.path(), declared.get())
                    : fileValidator.check(file.path());
            return new DownloadedImage(streamed, image, file);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    /**
     * Downloads an image straight into a file or block device, with no temporary copy: for a raw
     * image going to a raw volume. A file appears whole (written beside it, then renamed) or not
     * at all; a block device is written in place and, on failure, holds a partial image.
     *
     * @param service where the image is
     * @param ctx who asks
     * @param meta the image's record, as the service gave it
     * @param dest the file or block device to write
     * @param blockDevice whether {@code dest} is a block device (written in place)
     * @param bufferSize bytes per read and write
     * @return what the pass found
     */
    public StreamedImage downloadTo(ImageService service, RequestContext ctx, ImageMeta meta, Path dest,
            boolean blockDevice, int bufferSize) {
        Optional<DiskFormat> declared = declaredFormat(meta);
        if (blockDevice) {
            try (FileChannel out = FileChannel.open(dest, StandardOpenOption.WRITE)) {
                StreamedImage streamed = transfer(service, ctx, meta, declared, out, dest, bufferSize);
                out.force(false);
                return streamed;
            } catch (IOException e) {
                throw new ImageIoException("cannot write image " + meta.describe() + " to", dest, e);
            }
        }
        if (meta.size().isPresent()) {
            SpaceCheck.checkAvailableSpace(dest, meta.size().getAsLong(), meta.describe());
        }
        Path parent = dest.toAbsolutePath().getParent();
        PartialTarget.removeStale(parent);
        PartialTarget partial = PartialTarget.beside(dest);
        try {
            StreamedImage streamed;
            try (FileChannel out = FileChannel.open(partial.path(), StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE_NEW)) {
                streamed = transfer(service, ctx, meta, declared, out, partial.path(), bufferSize);
            } catch (IOException e) {
                throw new ImageIoException("cannot write image " + meta.describe() + " to", partial.path(), e);
            }
            partial.commit();
            return streamed;
        } catch (RuntimeException | Error e) {
            partial.discard();
            throw e;
        }
    }

    /**
     * The image's record, which must be active (only active images have data to download).
     *
     * @param service where the image is
     * @param ctx who asks
     * @param imageId the image
     * @return the record
     */
    static ImageMeta activeImage(ImageService service, RequestContext ctx, String imageId) {
        ImageMeta meta = service.get(ctx, imageId);
        if (meta.status() != ImageStatus.ACTIVE) {
            throw new ImageServiceException("image " + meta.describe() + " in " + service.location() + " is "
                    + meta.status().serviceName() + ", not active: it has no data to download");
        }
        return meta;
    }

    /**
     * The format the record declares, which the bytes must match.
     *
     * @param meta the record
     * @return the declared format, empty when the record declares none
     * @throws ImageUnacceptableException for a disk format this project does not handle
     */
    static Optional<DiskFormat> declaredFormat(ImageMeta meta) {
        if (meta.diskFormat().isEmpty()) {
            return Optional.empty();
        }
        String name = meta.diskFormat().get();
        try {
            return Optional.of(DiskFormat.fromName(name.toLowerCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new ImageUnacceptableException(meta.describe(), List.of(Finding.reject(FindingCode.FORMAT_NOT_ALLOWED,
                    Finding.NO_OFFSET, "disk_format " + name + " is not a disk format this project handles ("
                            + DiskFormat.knownNames() + ")")));
        }
    }

    /** The one pass: read, bound, hash, inspect, write; then every check on what arrived. */
    private StreamedImage transfer(ImageService service, RequestContext ctx, ImageMeta meta,
            Optional<DiskFormat> declared, FileChannel out, Path outPath, int bufferSize) {
        long started = System.nanoTime();
        ImageHasher hasher = ImageHasher.forImage(meta);
        List<StreamCheck> checks = new ArrayList<>();
        extraChecks.apply(meta).ifPresent(checks::add);
        long limit = meta.size().orElse(Long.MAX_VALUE);
        String name = meta.describe();
        ValidationReport report;
        try (InputStream data = service.download(ctx, meta.id());
                InspectingInputStream inspecting = declared.isPresent()
                        ? validator.inspecting(data, name, declared.get()) : validator.inspecting(data, name);
                ReadAhead ahead = new ReadAhead(inspecting, bufferSize, meta.id())) {
            while (true) {
                ReadAhead.Chunk chunk = next(ahead, meta, hasher.size(), service);
                int n = chunk.length();
                if (n < 0) {
                    break;
                }
                if (hasher.size() + n > limit) {
                    throw new ImageIntegrityException("image " + name + ": the service sent more than the " + limit
                            + " bytes its record states");
                }
                hasher.update(chunk.bytes(), 0, n);
                for (StreamCheck check : checks) {
                    check.update(chunk.bytes(), 0, n);
                }
                write(out, ByteBuffer.wrap(chunk.bytes(), 0, n), outPath, limit == Long.MAX_VALUE ? n : limit - hasher.size() + n, name);
                ahead.recycle(chunk.bytes());
                progress.transferred(meta, hasher.size(), meta.size());
            }
            report = inspecting.report();
        } catch (IOException e) {
            // Only close() gets here: reads and writes map their own errors.
            throw new ImageServiceUnavailableException("closing the download of image " + name + " from "
                    + service.location() + " failed: " + e.getMessage(), -1, e);
        }
        ImageDigests digests = hasher.digests();
        digests.verify(meta, allowUnhashed);
        if (!report.accepted()) {
            throw new ImageUnacceptableException(report.image(), report.rejections());
        }
        for (StreamCheck check : checks) {
            check.finish();
        }
        double seconds = Math.max((System.nanoTime() - started) / 1e9, 1e-9);
        double mib = digests.size() / (double) (1 << 20);
        LOG.info("downloaded image {} from {}: {} MiB in {} s ({} MiB/s), {} and md5 verified, {} accepted", name,
                service.location(), String.format(Locale.ROOT, "%.2f", mib), String.format(Locale.ROOT, "%.2f", seconds),
                String.format(Locale.ROOT, "%.2f", mib / seconds), digests.algorithm().serviceName(),
                report.detectedFormat().map(DiskFormat::glanceName).orElse("?"));
        return new StreamedImage(meta, digests, report);
    }

    /** The next chunk the read-ahead thread filled; a broken connection is the service's typed error. */
    private static ReadAhead.Chunk next(ReadAhead ahead, ImageMeta meta, long sofar, ImageService service) {
        try {
            return ahead.next();
        } catch (IOException e) {
            throw new ImageServiceUnavailableException("the download of image " + meta.describe() + " from "
                    + service.location() + " broke after about " + sofar + " bytes: " + e.getMessage(), -1, e);
        }
    }

    private static void write(FileChannel out, ByteBuffer bytes, Path path, long stillNeeded, String image) {
        try {
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            if (SpaceCheck.isOutOfSpace(e)) {
                throw SpaceCheck.outOfSpace(path, stillNeeded, image);
            }
            throw new ImageIoException("cannot write image " + image + " to", path, e);
        }
    }
}
