package dev.diskimage.conversion.vhd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The undo journal of one {@link VhdResize}: the bytes every in-place write of the resize will
 * overwrite (before images), the file's size before and after, and the bytes that mark the
 * finished disk (the new footers and header). Written whole and durable (temporary sibling,
 * fsync, atomic rename, fsync of the directory) before the VHD is touched, so that a journal on
 * disk is always complete; a CRC-32C over its contents catches later damage.
 *
 * <p>Format (big-endian): magic {@code DIMGVHDJ}, version 1, original file size, final file size,
 * the undo regions and the commit regions (each a count, then offset, length and bytes per
 * region), CRC-32C of everything before it.
 *
 * @param originalFileSize the VHD's size before the resize
 * @param finalFileSize its size after the resize
 * @param undo the before images, written back in order to roll back
 * @param commit the bytes the finished disk holds at their offsets
 */
record VhdResizeJournal(long originalFileSize, long finalFileSize, List<Region> undo, List<Region> commit) {

    private static final byte[] MAGIC = "DIMGVHDJ".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    /** Sane limit: a journal holds at most a 64 MiB table plus a few sectors. */
    static final long MAX_JOURNAL_BYTES = VhdFile.MAX_TABLE_BYTES + (1L << 20);
    private static final int MAX_REGIONS = 64;

    /**
     * Bytes at an offset of the VHD.
     *
     * @param offset where they sit in the file
     * @param bytes the bytes
     */
    record Region(long offset, byte[] bytes) {
        Region {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        int length() {
            return bytes.length;
        }
    }

    VhdResizeJournal {
        undo = List.copyOf(undo);
        commit = List.copyOf(commit);
    }

    /** Writes the journal at {@code journal} durably; an existing file is never overwritten. */
    void writeDurably(Path journal) throws IOException {
        ByteBuffer bytes = encode();
        Path directory = journal.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(directory, "." + journal.getFileName() + ".", ".part");
        try {
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            }
            if (Files.exists(journal)) {
                throw new IOException("the journal " + journal + " appeared while it was written");
            }
            Files.move(temporary, journal, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
        syncDirectory(directory);
    }

    /**
     * Reads and checks a journal.
     *
     * @return the journal
     * @throws IOException when it cannot be read
     * @throws IllegalStateException (caught by the caller) when it is damaged or not a journal
     */
    static VhdResizeJournal read(Path journal) throws IOException {
        long size = Files.size(journal);
        if (size > MAX_JOURNAL_BYTES || size < MAGIC.length + 4 + 8 + 8 + 4 + 4 + 4) {
            throw new IllegalStateException("has " + size + " bytes, not the size of a resize journal");
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(journal));
        int bodyLength = bytes.limit() - 4;
        CRC32C crc = new CRC32C();
        crc.update(bytes.array(), 0, bodyLength);
        if ((int) crc.getValue() != bytes.getInt(bodyLength)) {
            throw new IllegalStateException("is damaged: its CRC-32C does not match");
        }
        byte[] magic = new byte[MAGIC.length];
        bytes.get(magic);
        if (!Arrays.equals(magic, MAGIC) || bytes.getInt() != VERSION) {
            throw new IllegalStateException("is not a version " + VERSION + " VHD resize journal");
        }
        long original = bytes.getLong();
        long finalSize = bytes.getLong();
        if (original < 0 || finalSize < 0) {
            throw new IllegalStateException("records a negative file size");
        }
        ByteBuffer body = bytes.slice(0, bodyLength).position(bytes.position());
        try {
            return new VhdResizeJournal(original, finalSize, regions(body), regions(body));
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalStateException("ends before the regions it records", e);
        }
    }

    private static List<Region> regions(ByteBuffer body) {
        int count = body.getInt();
        if (count < 0 || count > MAX_REGIONS) {
            throw new IllegalStateException("records " + count + " regions");
        }
        List<Region> regions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long offset = body.getLong();
            int length = body.getInt();
            if (offset < 0 || length < 0 || length > body.remaining() || offset > Long.MAX_VALUE - length) {
                throw new IllegalStateException("records a region at " + offset + " of " + length + " bytes");
            }
            byte[] data = new byte[length];
            body.get(data);
            regions.add(new Region(offset, data));
        }
        return regions;
    }

    private ByteBuffer encode() {
        long length = MAGIC.length + 4L + 8 + 8 + 4 + 4 + 4;
        for (Region region : concat()) {
            length += 12L + region.length();
        }
        if (length > MAX_JOURNAL_BYTES) {
            throw new IllegalStateException("resize journal of " + length + " bytes");
        }
        ByteBuffer out = ByteBuffer.allocate((int) length);
        out.put(MAGIC).putInt(VERSION).putLong(originalFileSize).putLong(finalFileSize);
        for (List<Region> list : List.of(undo, commit)) {
            out.putInt(list.size());
            for (Region region : list) {
                out.putLong(region.offset()).putInt(region.length()).put(region.bytes);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return out.flip();
    }

    private List<Region> concat() {
        List<Region> all = new ArrayList<>(undo);
        all.addAll(commit);
        return all;
    }

    /** Makes a rename or a deletion in {@code directory} durable (Linux: fsync of the directory). */
    static void syncDirectory(Path directory) throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some file systems and platforms cannot open a directory; the rename is still atomic there.
            if (!Files.isDirectory(directory)) {
                throw e;
            }
        }
    }
}
