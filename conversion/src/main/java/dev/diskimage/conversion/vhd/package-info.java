/**
 * VHD files in pure Java, for what qemu-img cannot do with them: its vpc driver has no notion of
 * a differencing disk's parent. {@link dev.diskimage.conversion.vhd.VhdFile} opens fixed, dynamic
 * and differencing disks read-only, checks every structure through {@code dev.diskimage.core.vhd}
 * (the one VHD parser, which the validator uses too) and reads virtual bytes, resolving the
 * unallocated sectors of a differencing disk through its parent.
 * {@link dev.diskimage.conversion.vhd.VhdResize} reads and sets a disk's size in place, crash-safe
 * through an undo journal. Chain discovery, reparenting and coalescing (issue 15) build on them. Errors are {@link dev.diskimage.conversion.vhd.VhdException}s
 * naming the file and the reason.
 */
package dev.diskimage.conversion.vhd;
