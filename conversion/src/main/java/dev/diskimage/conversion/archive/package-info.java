/**
 * Archives that images arrive in: {@link dev.diskimage.conversion.archive.TarGzExtractor} unpacks
 * a gzipped tar safely (Cinder's {@code extract_targz}, without trusting the archive), and
 * {@link dev.diskimage.conversion.archive.XenServerImages} recognises XenServer images, which are
 * such archives of VHD chains (Cinder's {@code is_xenserver_format}).
 *
 * <p>A package of its own, beside the VHD code rather than in it: extraction knows nothing about
 * VHD and serves any archive, and the XenServer flow that joins the two (extract, discover the
 * chain, coalesce) depends on both packages while neither depends on it. See
 * {@code docs/conversion.md}, "Archives", for the limits.
 */
package dev.diskimage.conversion.archive;
