package dev.diskimage.core;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@code qemu-img convert} failed or timed out. qemu-img writes its target in place, so a
 * failure can leave a partial file behind; this error names the target and says whether such a
 * file remains, because only the caller knows whether the target path was theirs to delete.
 */
public class QemuImgConvertException extends QemuImgException {
    private static final long serialVersionUID = 1L;

    private final transient Path target;
    private final transient Path partialTarget;

    /**
     * Creates the error from the failed run and the target it was writing.
     *
     * @param result the {@code qemu-img convert} run that failed or timed out
     * @param target the path the conversion was writing; not null
     * @param partialTargetExists whether a file exists at {@code target} after the failure
     */
    public QemuImgConvertException(ProcessResult result, Path target, boolean partialTargetExists) {
        super(result, partialTargetExists ? "a partial target remains at " + target + " and must be deleted"
                : "no target file was left at " + target);
        this.target = Objects.requireNonNull(target, "target");
        this.partialTarget = partialTargetExists ? target : null;
    }

    /**
     * The path the conversion was writing.
     *
     * @return the target path; null after deserialization (paths are not serialized)
     */
    public Path target() {
        return target;
    }

    /**
     * The partial file qemu-img left at the target path, if one exists. The caller must delete
     * it: it is not a usable image.
     *
     * @return the target path if a file existed there after the failure, otherwise empty (also
     *     after deserialization)
     */
    public Optional<Path> partialTarget() {
        return Optional.ofNullable(partialTarget);
    }
}
