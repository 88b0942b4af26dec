package dev.diskimage.validation;

/**
 * Stable codes for everything the validator can say about an image. The names are part of the
 * public contract ({@code image-check --json} prints them); never rename one, only add.
 */
public enum FindingCode {
    // --- generic ---
    /** The bytes say another format than the caller declared. */
    FORMAT_MISMATCH,
    /** Two or more formats match the same bytes (a polyglot). */
    AMBIGUOUS_FORMAT,
    /** The detected format is not in the policy's allowed set. */
    FORMAT_NOT_ALLOWED,
    /** The virtual size exceeds the policy's maximum. */
    VIRTUAL_SIZE_TOO_BIG,
    /** The virtual size is below the policy's minimum (an empty file when the policy sets one). */
    VIRTUAL_SIZE_TOO_SMALL,
    /** The file ends before a structure its header promises. */
    TRUNCATED,
    /** A header field holds a value the format does not allow. */
    MALFORMED_HEADER,
    /** The file is empty: a raw image of size 0 to qemu, reported as a warning. */
    EMPTY_FILE,
    /** The path is not a regular file (directory, device, fifo, socket). */
    NOT_A_REGULAR_FILE,
    /** The file could not be read. */
    UNREADABLE,
    /** Inspection would have to read more than the read budget allows. */
    READ_BUDGET_EXCEEDED,
    /** While streaming, a region the inspector needed had already passed and was not kept. */
    STREAM_REGION_UNAVAILABLE,
    /** qemu-img's view of the image differs from the inspector's. */
    QEMU_DISAGREES,
    /** qemu-img could not read the image under the process limits. */
    QEMU_FAILED,
    /** The bytes are a format qemu would probe and open (bochs, cloop, dmg, qcow v1) that this project does not support. */
    UNSUPPORTED_FORMAT,

    // --- qcow2 ---
    /** qcow2 references a backing file. */
    QCOW2_BACKING_FILE,
    /** qcow2 stores its data in an external data file. */
    QCOW2_DATA_FILE,
    /** qcow2 sets an incompatible feature bit this project does not know. */
    QCOW2_UNKNOWN_INCOMPATIBLE_FEATURE,
    /** qcow2 marks itself corrupt. */
    QCOW2_CORRUPT,
    /** qcow2 L1, refcount or snapshot table lies (partly) outside the file or is absurdly large. */
    QCOW2_TABLE_OUT_OF_BOUNDS,
    /** qcow2 has the dirty bit set (needs a refcount repair; still readable). */
    QCOW2_DIRTY,
    /** qcow2 uses a compression type this project does not know. */
    QCOW2_UNKNOWN_COMPRESSION,
    /** qcow2 header is encrypted with the insecure legacy AES method. */
    QCOW2_LEGACY_ENCRYPTION,

    // --- qed ---
    /** QED references a backing file. */
    QED_BACKING_FILE,
    /** QED sets a feature bit this project does not know. */
    QED_UNKNOWN_FEATURE,

    // --- vmdk ---
    /** The VMDK createType is not in the policy's allowlist. */
    VMDK_CREATE_TYPE_NOT_ALLOWED,
    /** A VMDK extent names a file other than the image itself. */
    VMDK_EXTERNAL_EXTENT,
    /** The VMDK descriptor names a parent disk. */
    VMDK_PARENT_HINT,
    /** The VMDK descriptor cannot be parsed. */
    VMDK_MALFORMED_DESCRIPTOR,
    /** Two copies of VMDK metadata (header and footer copy, their descriptors, qemu's descriptor window) differ. */
    VMDK_COPIES_DISAGREE,
    /** The VMDK descriptor names a change block tracking file ({@code changeTrackPath}). */
    VMDK_CHANGE_TRACKING_FILE,

    // --- vhd / vpc ---
    /** The VHD is a differencing disk (has a parent). */
    VHD_DIFFERENCING,
    /** The VHD footer checksum does not match. */
    VHD_BAD_CHECKSUM,
    /** The VHD block allocation table lies outside the file. */
    VHD_TABLE_OUT_OF_BOUNDS,
    /** The VHD footer copies at the start and the end disagree on what the disk is. */
    VHD_FOOTER_MISMATCH,

    // --- vhdx ---
    /** The VHDX metadata declares a parent (differencing disk). */
    VHDX_HAS_PARENT,
    /** A VHDX header or region table fails its CRC-32C. */
    VHDX_BAD_CHECKSUM,
    /** The VHDX region table or metadata has an unknown required entry. */
    VHDX_UNKNOWN_REQUIRED_ITEM,
    /** The current VHDX header names a log (non-zero LogGuid) that a reader would replay first. */
    VHDX_LOG_NOT_EMPTY,

    // --- vdi ---
    /** The VDI is a differencing image (has a parent). */
    VDI_DIFFERENCING,

    // --- luks ---
    /** The LUKS header is damaged or uses an unsupported version. */
    LUKS_MALFORMED,

    // --- parallels / ploop ---
    /** The Parallels image was not closed cleanly (in-use mark set; still readable read-only). */
    PARALLELS_DIRTY,
    /** The Parallels BAT, or a cluster it allocates, lies (partly) outside the file or over the header. */
    PARALLELS_TABLE_OUT_OF_BOUNDS,

    // --- iso / partitions ---
    /** The ISO 9660 volume descriptors are damaged. */
    ISO_MALFORMED,
    /** The UDF volume recognition sequence or anchor volume descriptor pointer is damaged. */
    UDF_MALFORMED,
    /** The GPT header is damaged. */
    GPT_MALFORMED
}
