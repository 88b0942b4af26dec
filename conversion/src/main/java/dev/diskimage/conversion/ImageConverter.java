package dev.diskimage.conversion;

import dev.diskimage.conversion.ConversionRefusedException.Reason;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgException;
import dev.diskimage.core.QemuImgInfo;
import dev.diskimage.core.SpaceCheck;
import dev.diskimage.crypto.Passphrase;
import dev.diskimage.crypto.QemuSecret;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidatedImage;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Converts and resizes images with qemu-img, safety first: a source reaches qemu-img only after
 * the pure-Java validator accepted it (and is checked unchanged right before), qemu-img is always
 * told the detected format ({@code -f}), the output is validated too and must be of the requested
 * format, and file targets appear whole or not at all. Cinder's {@code convert_image} and
 * {@code resize_image}; see {@code docs/conversion.md} for the qemu-img flags chosen and why.
 *
 * <p>Instances are immutable and thread-safe; run many conversions with one converter.
 */
public final class ImageConverter {
    private static final AtomicLong THREADS = new AtomicLong();

    private final QemuImg qemu;
    private final ImageValidator validator;
    private final boolean imageConversionDisabled;

    private ImageConverter(QemuImg qemu, ImageValidator validator, boolean imageConversionDisabled) {
        this.qemu = Objects.requireNonNull(qemu, "qemu");
        this.validator = Objects.requireNonNull(validator, "validator");
        this.imageConversionDisabled = imageConversionDisabled;
    }

    /**
     * A converter running {@code qemu} and validating sources and outputs with {@code validator}.
     *
     * @param qemu the qemu-img to run
     * @param validator the validator (and so the policy) every source and every output must pass
     * @return a converter with image conversion enabled
     * @throws NullPointerException if an argument is null
     */
    public static ImageConverter using(QemuImg qemu, ImageValidator validator) {
        return new ImageConverter(qemu, validator, false);
    }

    /**
     * A copy that refuses to change an image's format (Cinder's {@code image_conversion_disable}):
     * a request whose target format differs from the source's is refused with
     * {@link Reason#CONVERSION_DISABLED} before qemu-img runs; copies within one format still run.
     *
     * @param disabled whether conversion between formats is refused
     * @return a converter otherwise like this one
     */
    public ImageConverter withImageConversionDisabled(boolean disabled) {
        return new ImageConverter(qemu, validator, disabled);
    }

    /**
     * Whether conversion between formats is refused.
     *
     * @return the setting of {@link #withImageConversionDisabled(boolean)}; false by default
     */
    public boolean imageConversionDisabled() {
        return imageConversionDisabled;
    }

    /**
     * Starts a conversion on a thread of its own and returns at once. Every failure, including
     * a refused source, is reported by {@link Conversion#await()}.
     *
     * @param request what to convert, and how
     * @return the running conversion
     * @throws NullPointerException if {@code request} is null
     */
    public Conversion convert(ConvertRequest request) {
        ConversionJob job = new ConversionJob(qemu, validator, imageConversionDisabled,
                Objects.requireNonNull(request, "request"));
        Conversion conversion = new Conversion(request.target(), job);
        job.attach(conversion);
        // A thread of its own, alive until qemu-img has exited: qemu-img's parent-death signal is
        // tied to the thread that started it (see Launcher).
        Thread thread = new Thread(job, "diskimage-convert-" + THREADS.incrementAndGet());
        thread.start();
        return conversion;
    }

    /**
     * Converts and waits for the result. If the calling thread is interrupted, the conversion is
     * cancelled and this method throws once it stopped.
     *
     * @param request what to convert, and how
     * @return what the conversion made
     * @throws dev.diskimage.validation.ImageUnacceptableException if the validator refuses the
     *     source (qemu-img never ran)
     * @throws ConvertedImageRejectedException if the output was refused (it was deleted)
     * @throws ConversionRefusedException if the request cannot be carried out here
     * @throws dev.diskimage.core.NotEnoughSpaceException if the target's file system is too small,
     *     before or during the conversion
     * @throws ConversionTimedOutException if the request's timeout expired
     * @throws ConversionCancelledException if the calling thread was interrupted
     * @throws ConversionFailedException if qemu-img failed
     */
    public ConversionResult convertNow(ConvertRequest request) {
        Conversion conversion = convert(request);
        try {
            return conversion.await();
        } catch (InterruptedException e) {
            conversion.cancel();
            try {
                conversion.await();
            } catch (InterruptedException again) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException expected) {
                // The cancellation's outcome; the interruption is what the caller hears about.
            }
            Thread.currentThread().interrupt();
            throw new ConversionCancelledException(request.target());
        }
    }

    /**
     * Resizes an accepted image in place ({@code qemu-img resize -f FORMAT}): the format is always
     * named, because a resize without it lets qemu probe a raw file as another format.
     *
     * @param image the image the validator accepted; checked unchanged right before qemu-img runs
     * @param newSize the new virtual size in bytes; not negative
     * @param allowShrink whether a smaller size may be set ({@code --shrink}); shrinking loses
     *     the data past the new end
     * @throws ConversionRefusedException with {@link Reason#SHRINK_NOT_ALLOWED} if {@code newSize}
     *     is smaller than the image's virtual size and shrinking is not allowed, with
     *     {@link Reason#PASSPHRASE_MISSING} if the image is encrypted (use
     *     {@link #resize(ValidatedImage, long, boolean, Passphrase)}); qemu-img does not run
     * @throws IllegalArgumentException if {@code newSize} is negative
     * @throws dev.diskimage.validation.ImageChangedException if the file changed since validation
     * @throws dev.diskimage.core.QemuImgException if qemu-img fails
     */
    public void resize(ValidatedImage image, long newSize, boolean allowShrink) {
        resize(image, newSize, allowShrink, Optional.empty());
    }

    /**
     * Resizes an accepted encrypted image in place (a LUKS1 volume, or qcow2 with LUKS encryption):
     * qemu opens it only with its key, so the passphrase goes to qemu-img in a 0600 secret file
     * beside the image ({@code --object secret,...} and {@code --image-opts}), deleted afterwards.
     * A LUKS file's passphrase is proved in Java before qemu-img runs. For a plain image the
     * passphrase is not used.
     *
     * @param image the image the validator accepted; checked unchanged right before qemu-img runs
     * @param newSize the new virtual size in bytes; not negative
     * @param allowShrink whether a smaller size may be set ({@code --shrink})
     * @param passphrase the image's passphrase
     * @throws ConversionRefusedException with {@link Reason#SHRINK_NOT_ALLOWED},
     *     {@link Reason#WRONG_PASSPHRASE} or {@link Reason#ENCRYPTION_UNSUPPORTED} (a LUKS2 file)
     *     before qemu-img runs
     * @throws IllegalArgumentException if {@code newSize} is negative
     * @throws dev.diskimage.core.ImageIoException if the passphrase file cannot be read
     * @throws dev.diskimage.validation.ImageChangedException if the file changed since validation
     * @throws dev.diskimage.core.QemuImgException if qemu-img fails
     */
    public void resize(ValidatedImage image, long newSize, boolean allowShrink, Passphrase passphrase) {
        resize(image, newSize, allowShrink, Optional.of(Objects.requireNonNull(passphrase, "passphrase")));
    }

    private void resize(ValidatedImage image, long newSize, boolean allowShrink, Optional<Passphrase> passphrase) {
        Objects.requireNonNull(image, "image");
        if (newSize < 0) {
            throw new IllegalArgumentException("new size must not be negative: " + newSize);
        }
        if (newSize < image.virtualSize() && !allowShrink) {
            throw new ConversionRefusedException(Reason.SHRINK_NOT_ALLOWED, image.path() + " has a virtual size of "
                    + image.virtualSize() + " bytes; resizing it to " + newSize
                    + " bytes would shrink it, which was not allowed");
        }
        Optional<Passphrase> key = Encryption.forResize(image, passphrase);
        image.requireUnchanged();
        if (key.isEmpty()) {
            qemu.resize(image.path(), image.format(), newSize, allowShrink);
            return;
        }
        Path directory = image.path().toAbsolutePath().getParent();
        try (QemuSecret secret = QemuSecret.write(Encryption.SOURCE_SECRET_ID, key.get(), directory)) {
            qemu.resizeEncrypted(image.path(), image.format(), secret.object(), newSize, allowShrink);
        } catch (QemuImgException e) {
            if (e.stderrTail().contains(Encryption.QEMU_WRONG_PASSPHRASE)) {
                throw new ConversionRefusedException(Reason.WRONG_PASSPHRASE, "the passphrase does not unlock "
                        + image.path());
            }
            throw e;
        }
    }

    /**
     * Validates {@code image} and resizes it, as {@link #resize(ValidatedImage, long, boolean)}.
     *
     * @param image the image file
     * @param declared the format the caller says it is; the bytes must agree
     * @param newSize the new virtual size in bytes; not negative
     * @param allowShrink whether a smaller size may be set
     * @return the image as validated before the resize
     * @throws dev.diskimage.validation.ImageUnacceptableException if the validator refuses it
     *     (qemu-img never runs)
     * @throws ConversionRefusedException if it would shrink without permission
     * @throws dev.diskimage.core.QemuImgException if qemu-img fails
     */
    public ValidatedImage resize(Path image, DiskFormat declared, long newSize, boolean allowShrink) {
        ValidatedImage validated = validator.check(image, declared);
        resize(validated, newSize, allowShrink);
        return validated;
    }

    /**
     * Validates an encrypted {@code image} and resizes it with its passphrase, as
     * {@link #resize(ValidatedImage, long, boolean, Passphrase)}.
     *
     * @param image the image file
     * @param declared the format the caller says it is; the bytes must agree
     * @param newSize the new virtual size in bytes; not negative
     * @param allowShrink whether a smaller size may be set
     * @param passphrase the image's passphrase
     * @return the image as validated before the resize
     * @throws dev.diskimage.validation.ImageUnacceptableException if the validator refuses it
     * @throws ConversionRefusedException if it would shrink without permission, or the
     *     passphrase does not unlock it
     * @throws dev.diskimage.core.QemuImgException if qemu-img fails
     */
    public ValidatedImage resize(Path image, DiskFormat declared, long newSize, boolean allowShrink,
            Passphrase passphrase) {
        ValidatedImage validated = validator.check(image, declared);
        resize(validated, newSize, allowShrink, passphrase);
        return validated;
    }

    /**
     * Cinder's {@code check_virtual_size}: the image's virtual size, rounded up to whole GiB,
     * must fit a volume of {@code volumeSizeGiB}.
     *
     * @param info what qemu-img reported about the image
     * @param volumeSizeGiB the volume's size in GiB
     * @param imageId the image, named in the error
     * @return the virtual size in whole GiB, rounded up
     * @throws dev.diskimage.core.ImageTooBigException if it does not fit
     */
    public static long checkVirtualSize(QemuImgInfo info, long volumeSizeGiB, String imageId) {
        return SpaceCheck.checkVirtualSize(info.virtualSize(), volumeSizeGiB, imageId);
    }
}
