package dev.diskimage.catalog.templates;

/**
 * What form a {@link TemplateStore} keeps a template in.
 */
public enum StoreMode {
    /**
     * Converted to raw (what lago does), as {@code repo:template:version}: a base any
     * hypervisor or {@code qemu-img create -b ... -F raw} can use without knowing the format.
     */
    RAW,
    /**
     * In the format the gate admitted, as {@code repo:template:version.<format>} (qemu's name,
     * e.g. {@code .qcow2}): smaller on disk, and kept apart from the raw form so the two never
     * stand in for each other.
     */
    KEEP_FORMAT
}
