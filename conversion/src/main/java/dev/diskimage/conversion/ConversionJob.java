package dev.diskimage.conversion;

import dev.diskimage.conversion.ConversionRefusedException.Reason;
import dev.diskimage.core.CacheMode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgConvertException;
import dev.diskimage.core.QemuImgConvertRequest;
import dev.diskimage.core.QemuImgException;
import dev.diskimage.core.SpaceCheck;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidatedImage;
import dev.diskimage.validation.ValidationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One conversion, from validating the source to the renamed target, run on the conversion's own
 * thread (which must outlive qemu-img: see {@link Launcher}). Each step that can fail cleans up
 * what the earlier steps made.
 */
final class ConversionJob implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ConversionJob.class);
    private static final double MIB = 1 << 20;
    // How long qemu-img gets to end after SIGTERM on cancel before SIGKILL.
    private static final long CANCEL_GRACE_MILLIS = 1000;
    // qemu-img's messages (LC_ALL=C): ENOSPC, and the EINVAL of an O_DIRECT open refused.
    private static final String NO_SPACE = "No space left on device";
    private static final String INVALID_ARGUMENT = "Invalid argument";

    private final QemuImg qemu;
    private final ImageValidator validator;
    private final boolean conversionDisabled;
    private final ConvertRequest request;
    private volatile double progress;
    private volatile boolean cancelled;
    private volatile LiveConversions.Entry live;
    private Conversion conversion;

    ConversionJob(QemuImg qemu, ImageValidator validator, boolean conversionDisabled, ConvertRequest request) {
        this.qemu = qemu;
        this.validator = validator;
        this.conversionDisabled = conversionDisabled;
        this.request = request;
    }

    void attach(Conversion conversion) {
        this.conversion = conversion;
    }

    double progress() {
        return progress;
    }

    void cancel() {
        cancelled = true;
        LiveConversions.Entry entry = live;
        if (entry != null) {
            ProcessHandle process = entry.process.get();
            if (process != null) {
                stop(process);
            }
        }
    }

    @Override
    public void run() {
        try {
            conversion.outcome().complete(convert());
        } catch (Throwable t) {
            conversion.outcome().completeExceptionally(t);
        }
    }

    ConversionResult convert() {
        ValidatedImage source = validatedSource();
        LOG.debug("source {} accepted as {}", source.path(), source.format().qemuName());
        DiskFormat targetFormat = request.targetFormat();
        checkRequestFitsFormats(source, targetFormat);
        Encryption encryption = Encryption.forConversion(request, source);
        Path target = request.target();
        Optional<BlockDevice> targetDevice = BlockDevice.at(target);
        boolean inPlace = targetDevice.isPresent() || request.existingTarget();
        Optional<PartialTarget> partial = inPlace ? Optional.empty() : Optional.of(PartialTarget.beside(target));
        long needed = 0;
        if (partial.isPresent()) {
            PartialTarget.removeStale(partial.get().path().getParent());
            needed = encryption.sourceEncrypted() || encryption.targetEncrypted()
                    ? encryption.spaceNeeded(qemu, source.virtualSize()) : spaceNeeded(source, targetFormat);
            SpaceCheck.checkAvailableSpace(partial.get().path().getParent(), needed, source.path().toString());
            LOG.debug("{} bytes needed and available for {}", needed, target);
        }
        CgroupIoThrottle cgroup = cgroupFor(targetDevice);
        LiveConversions.Entry entry = LiveConversions.register(partial);
        live = entry;
        Encryption.Secrets secrets = Encryption.Secrets.none();
        try {
            Path writeTo = partial.map(PartialTarget::path).orElse(target);
            // Secrets live beside the target (its file system is the conversion's own), in their
            // own 0700 directories, and are deleted in the finally below: success, failure, cancel.
            secrets = encryption.writeSecrets(partial.map(p -> p.path().getParent())
                    .orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir"))));
            entry.secrets.set(secrets);
            CacheMode mode = request.cache() == TargetCache.WRITEBACK ? CacheMode.WRITEBACK : CacheMode.NONE;
            int attempt = 0;
            while (true) {
                if (cancelled) {
                    throw new ConversionCancelledException(target);
                }
                attempt++;
                QemuImgConvertRequest command = command(source, writeTo, mode, targetDevice, cgroup, entry,
                        encryption, secrets);
                source.requireUnchanged();
                long start = System.nanoTime();
                try {
                    qemu.convert(command);
                } catch (QemuImgConvertException e) {
                    // Every throw below is discarded again by the catch further down, and a retry
                    // makes qemu-img create the file anew: removing this call is an equivalent mutant
                    // (kept so that no failed attempt's output waits for the retry).
                    partial.ifPresent(PartialTarget::discard);
                    if (cancelled) {
                        throw new ConversionCancelledException(target);
                    }
                    if (e.timedOut()) {
                        throw new ConversionTimedOutException(target, request.timeout().orElseThrow(), e);
                    }
                    if (mode == CacheMode.NONE && request.cache() == TargetCache.AUTO && directIoRefused(e)) {
                        LOG.info("{} cannot be written with O_DIRECT (cache=none); converting with cache=writeback",
                                target);
                        mode = CacheMode.WRITEBACK;
                        continue;
                    }
                    if (encryption.targetEncrypted() && attempt < QemuImg.PBKDF_BENCHMARK_ATTEMPTS
                            && e.stderrTail().contains(QemuImg.PBKDF_BENCHMARK_FLAKE)) {
                        LOG.debug("qemu's PBKDF benchmark measured no CPU time; converting again");
                        continue;
                    }
                    if (encryption.sourceEncrypted() && e.stderrTail().contains(Encryption.QEMU_WRONG_PASSPHRASE)) {
                        throw new ConversionRefusedException(Reason.WRONG_PASSPHRASE, "the passphrase does not unlock "
                                + source.path());
                    }
                    if (e.stderrTail().contains(NO_SPACE)) {
                        throw SpaceCheck.outOfSpace(target, needed, source.path().toString());
                    }
                    throw new ConversionFailedException(target, e);
                }
                Duration duration = Duration.ofNanos(System.nanoTime() - start);
                if (cancelled) {
                    throw new ConversionCancelledException(target);
                }
                LOG.debug("qemu-img convert ended after {} ms", duration.toMillis());
                validateOutput(writeTo, target, targetFormat, inPlace, encryption.targetEncrypted(),
                        source.virtualSize());
                LOG.debug("output {} accepted as {}", writeTo, targetFormat.qemuName());
                partial.ifPresent(PartialTarget::commit);
                LOG.debug("output moved into place at {}", target);
                // Only a log line (equivalent mutants here and in logThroughput).
                logThroughput(source, target, duration);
                return new ConversionResult(target, source.format(), targetFormat, source.virtualSize(), mode, inPlace,
                        duration, command.arguments());
            }
        } catch (RuntimeException e) {
            partial.ifPresent(PartialTarget::discard);
            throw e;
        } finally {
            secrets.close();
            LiveConversions.unregister(entry);
            if (cgroup != null) {
                cgroup.close();
            }
        }
    }

    private ValidatedImage validatedSource() {
        Optional<DiskFormat> declared = request.declaredSourceFormat();
        if (request.validatedSource().isPresent()) {
            ValidatedImage source = request.validatedSource().get();
            if (declared.isPresent() && !declared.get().sameQemuDriverAs(source.format())) {
                throw new ConversionRefusedException(Reason.FORMAT_MISMATCH, source.path() + " was validated as "
                        + source.format().glanceName() + ", not the declared " + declared.get().glanceName());
            }
            return source;
        }
        // A null from the lambda (a mutant) falls back to the undeclared check below: the declared
        // check already ran and refused a mismatch, and both return the same accepted image.
        return declared.map(format -> validator.check(request.source(), format))
                .orElseGet(() -> validator.check(request.source()));
    }

    private void checkRequestFitsFormats(ValidatedImage source, DiskFormat targetFormat) {
        if (conversionDisabled && !source.format().sameQemuDriverAs(targetFormat)) {
            throw new ConversionRefusedException(Reason.CONVERSION_DISABLED, "image conversion is disabled: "
                    + source.path() + " is " + source.format().glanceName() + " and cannot become "
                    + targetFormat.glanceName());
        }
        if (request.compress() && !canCompress(targetFormat, request.options())) {
            throw new ConversionRefusedException(Reason.COMPRESSION_UNSUPPORTED, targetFormat.glanceName()
                    + " targets cannot be compressed (only qcow2 and vmdk with subformat=streamOptimized can)");
        }
        if (request.keepBitmaps() && !(source.format() == DiskFormat.QCOW2 && targetFormat == DiskFormat.QCOW2)) {
            throw new ConversionRefusedException(Reason.BITMAPS_UNSUPPORTED,
                    "bitmaps can only be kept from a qcow2 source to a qcow2 target");
        }
    }

    static boolean canCompress(DiskFormat format, Map<String, String> options) {
        return format == DiskFormat.QCOW2
                || (format == DiskFormat.VMDK && "streamOptimized".equals(options.get("subformat")));
    }

    /**
     * The bytes the new target needs: a raw target its whole virtual size (sparse output depends
     * on the file system, so it is not counted on), other formats what {@code qemu-img measure}
     * says. qemu-img measures only raw, qcow2 and luks; other formats are estimated as qcow2,
     * whose metadata is of the same order.
     */
    private long spaceNeeded(ValidatedImage source, DiskFormat targetFormat) {
        if (targetFormat.sameQemuDriverAs(DiskFormat.RAW)) {
            return source.virtualSize();
        }
        DiskFormat measured = targetFormat == DiskFormat.QCOW2 || targetFormat == DiskFormat.LUKS ? targetFormat
                : DiskFormat.QCOW2;
        source.requireUnchanged();
        return qemu.measure(source.path(), source.format(), measured).required();
    }

    private CgroupIoThrottle cgroupFor(Optional<BlockDevice> targetDevice) {
        if (!(request.throttle() instanceof Throttle.CgroupIoMax limits)) {
            return null;
        }
        BlockDevice device = targetDevice.orElseThrow(() -> new ConversionRefusedException(
                Reason.THROTTLE_UNAVAILABLE, "a cgroup throttle limits a block device, and " + request.target()
                        + " is not one; use a qemu-img rate limit for files"));
        return CgroupIoThrottle.create(CgroupIoThrottle.parentGroup(), device, limits.readBytesPerSecond(),
                limits.writeBytesPerSecond());
    }

    private QemuImgConvertRequest command(ValidatedImage source, Path writeTo, CacheMode mode,
            Optional<BlockDevice> targetDevice, CgroupIoThrottle cgroup, LiveConversions.Entry entry,
            Encryption encryption, Encryption.Secrets secrets) {
        DiskFormat targetFormat = request.targetFormat();
        QemuImgConvertRequest.Builder command = QemuImgConvertRequest.builder(source.path(), source.format(), writeTo,
                targetFormat);
        request.options().forEach(command::option);
        encryption.apply(command, secrets);
        if (targetFormat == DiskFormat.VPC && !request.existingTarget() && !request.options().containsKey("force_size")) {
            // Without it qemu rounds the size to a CHS geometry, and the target is not the source's size.
            command.option("force_size", "on");
        }
        command.compress(request.compress());
        command.cacheMode(mode);
        request.sourceCache().ifPresent(command::sourceCacheMode);
        command.existingTarget(request.existingTarget());
        command.targetIsZero(request.existingTarget() && request.targetIsZero());
        boolean raw = targetFormat.sameQemuDriverAs(DiskFormat.RAW);
        if (!request.sparse()) {
            command.sparseSize(0);
        }
        command.outOfOrderWrites(raw && (!request.sparse() || targetDevice.isPresent()));
        command.bitmaps(request.keepBitmaps());
        request.coroutines().ifPresent(command::coroutines);
        if (request.throttle() instanceof Throttle.RateLimit rate) {
            command.rateLimit(rate.bytesPerSecond());
        }
        request.timeout().ifPresentOrElse(command::timeout, command::noTimeout);
        command.launchedThrough(Launcher.forConversion(request.background()));
        command.progress(percent -> {
            progress = percent;
            request.progress().ifPresent(listener -> listener.accept(percent));
        });
        command.onStart(process -> {
            entry.process.set(process);
            if (cgroup != null) {
                cgroup.attach(process.pid());
            }
            if (cancelled) {
                stop(process);
            }
        });
        return command.build();
    }

    private void validateOutput(Path written, Path target, DiskFormat targetFormat, boolean inPlace,
            boolean encrypted, long sourceVirtualSize) {
        // A target written in place holds the new image at its start and older bytes past its
        // end: only what was written is the output.
        ValidationReport report = inPlace
                ? validator.validatePrefix(written, targetFormat,
                        WrittenExtent.of(qemu, written, targetFormat, encrypted, sourceVirtualSize))
                : validator.validate(written, targetFormat);
        if (!report.accepted()) {
            throw new ConvertedImageRejectedException(target.toString(), report.rejections());
        }
    }

    private static boolean directIoRefused(QemuImgException e) {
        String stderr = e.stderrTail();
        return stderr.contains(INVALID_ARGUMENT) && (stderr.contains("Could not open") || stderr.contains("O_DIRECT"));
    }

    private static void stop(ProcessHandle process) {
        process.destroy();
        process.onExit().completeOnTimeout(process, CANCEL_GRACE_MILLIS, TimeUnit.MILLISECONDS)
                .thenAccept(p -> {
                    if (p.isAlive()) {
                        p.destroyForcibly();
                    }
                });
    }

    private static void logThroughput(ValidatedImage source, Path target, Duration duration) {
        long bytes;
        try {
            bytes = Files.size(source.path());
        } catch (IOException e) {
            bytes = source.size();
        }
        double seconds = Math.max(duration.toNanos() / 1e9, 1e-3);
        double mib = bytes / MIB;
        LOG.info(String.format(Locale.ROOT, "converted %.2f MiB in %.2f s (%.2f MiB/s): %s to %s", mib, seconds,
                mib / seconds, source.path(), target));
    }
}
