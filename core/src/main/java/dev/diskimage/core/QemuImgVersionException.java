package dev.diskimage.core;

/**
 * The installed {@code qemu-img} is older than a feature needs (Cinder's
 * {@code check_qemu_img_version(minimum)}). Names both versions.
 */
public class QemuImgVersionException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final QemuImgVersion found;
    private final QemuImgVersion required;

    /** Creates the error naming the version found and the minimum required. */
    public QemuImgVersionException(QemuImgVersion found, QemuImgVersion required) {
        super("qemu-img version " + found + " is installed, but at least " + required + " is required");
        this.found = found;
        this.required = required;
    }

    /** The installed version. */
    public QemuImgVersion found() {
        return found;
    }

    /** The minimum version required. */
    public QemuImgVersion required() {
        return required;
    }
}
