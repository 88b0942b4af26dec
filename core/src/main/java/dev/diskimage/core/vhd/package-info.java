/**
 * The one parser and writer of VHD on-disk structures (Microsoft "Virtual Hard Disk Image Format
 * Specification" 1.0), shared by every module that reads or writes them: the validator's
 * {@code VhdInspector} (is this file a sane VHD?) and conversion's {@code VhdFile} (read a disk,
 * later build and coalesce differencing chains).
 *
 * <p>Pure functions over bytes: callers read the bytes (the validator through its bounded,
 * stream-capturing reader, conversion from a file channel) and hand them here; writers get bytes
 * back. The structures are the hard disk footer ({@link dev.diskimage.core.vhd.VhdFooter}), the
 * dynamic disk header ({@link dev.diskimage.core.vhd.VhdDynamicHeader}) with its parent locators
 * ({@link dev.diskimage.core.vhd.VhdParentLocator}), the block allocation table
 * ({@link dev.diskimage.core.vhd.VhdBat}), the per-block sector bitmap
 * ({@link dev.diskimage.core.vhd.VhdSectorBitmap}) and the CHS geometry
 * ({@link dev.diskimage.core.vhd.VhdGeometry}); all are big-endian and the footer and header carry
 * a one's-complement byte-sum checksum ({@link dev.diskimage.core.vhd.VhdChecksum}).
 *
 * <p>Numbers are kept as read; every number is checked where it is used (an offset or a size
 * against the file size, a block size against sane limits, the table against the virtual size),
 * overflow-safe. A structure that breaks a rule is a
 * {@link dev.diskimage.core.vhd.VhdFormatException} carrying the offset of the offending field in
 * the file and the reason. Names read from an image (parent name, locator paths) are returned as
 * read: whoever shows them passes them through {@link dev.diskimage.core.UntrustedText} first.
 */
package dev.diskimage.core.vhd;
