package dev.diskimage.conversion.archive;

/**
 * XenServer images: what Glance calls an image with container format {@code ovf} and disk format
 * {@code vhd}, delivered as a gzipped tar of a VHD chain. Cinder's {@code is_xenserver_format}.
 *
 * <h2>The archive and the chain</h2>
 * The archive holds {@code 0.vhd}, {@code 1.vhd}, ... {@code N.vhd} at its top level:
 * {@code 0.vhd} is the top of the chain (the newest differencing disk, what the guest sees) and
 * {@code N.vhd} the base; each {@code i.vhd} is the child of {@code (i+1).vhd}. XenServer writes
 * the members' parent locators with the names they had on the host, so they point nowhere after
 * extraction. Cinder's {@code replace_xenserver_image_with_coalesced_vhd} therefore extracts the
 * archive into a temporary directory ({@code extract_targz}), discovers the members by counting
 * up from {@code 0.vhd} until a number is missing ({@code discover_vhd_chain}), rewrites every
 * child's parent to the next member ({@code fix_vhd_chain}), coalesces the chain into the base
 * ({@code coalesce_chain}), and moves the base over the image file.
 *
 * <p>Here the first step is {@link TarGzExtractor#extractTarGz(java.nio.file.Path, java.nio.file.Path,
 * ExtractionLimits)}: into a fresh directory (a {@code TemporaryDirectory} of the image conversion
 * directory, or a subdirectory of one), with only regular files and directories, every name
 * checked, and the limits applied; the VHD chain code then works on its
 * {@link ExtractedArchive#files()} alone, and the names it looks for ({@code 0.vhd} upwards)
 * cannot point outside that directory. Every member is still inspected as VHD by the validator
 * before the chain code trusts it, and parent locators are only ever rewritten to name siblings in
 * the same directory. Discovery, reparenting and coalescing belong to the VHD chain code (issue
 * 15), not to this package.
 */
public final class XenServerImages {

    /** The Glance container format of XenServer images. */
    public static final String CONTAINER_FORMAT = "ovf";

    /** The Glance disk format of XenServer images. */
    public static final String DISK_FORMAT = "vhd";

    private XenServerImages() {
    }

    /**
     * Whether an image with these Glance formats is a XenServer image (a gzipped tar of a VHD
     * chain): disk format {@code vhd} and container format {@code ovf}, compared exactly, as Cinder
     * does (Glance stores formats in lower case). A missing format is no match; Cinder would fail
     * with a {@code KeyError}.
     *
     * @param diskFormat the image's {@code disk_format}; may be null
     * @param containerFormat the image's {@code container_format}; may be null
     * @return true for {@code vhd} in {@code ovf}
     */
    public static boolean isXenServerFormat(String diskFormat, String containerFormat) {
        return DISK_FORMAT.equals(diskFormat) && CONTAINER_FORMAT.equals(containerFormat);
    }
}
