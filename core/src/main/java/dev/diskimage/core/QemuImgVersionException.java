package dev.diskimage.core;

/**
 * The installed {@code qemu-img} is older than a feature needs (Cinder's
 * {@code check_qemu_img_version(minimum)}). Names both versions.
 */
public class QemuImgVersionException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** The installed version. */
    private final QemuImgVersion found;
    /** The minimum version required. */
    private final QemuImgVersion required;

    /**
     * Creates the error naming the version found and the minimum required.
     *
     * @param found the version of the installed qemu-img
     * @param required the oldest version the feature works with
     */
    public QemuImgVersionException(QemuImgVersion found, QemuImgVersion required) {
        super("qemu-img version " + found + " is installed, but at least " + required + " is required");
        this.found = found;
        this.required = required;
    }

    /**
     * The installed version.
     *
     * @return the version {@code qemu-img --version} reported
     */
    public QemuImgVersion found() {
        return found;
    }

    /**
     * The minimum version required.
     *
     * @return the oldest version accepted
     */
    public QemuImgVersion required() {
        return required;
    }
}
