package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Recognises a raw disk that carries a partition table: an MBR (boot signature plus a sane
 * partition table) or a GPT behind a protective MBR. This is a weak, descriptive match: a raw
 * disk stays raw, so a damaged table never rejects the image, it only yields a warning, and
 * the inspector never claims a strong magic. The variant ({@code mbr} or {@code gpt}) and the
 * partition count help reports and the cross-check with other inspectors (an isohybrid ISO
 * carries an MBR too).
 */
final class PartitionTableInspector implements FormatInspector {

    // MBR: boot signature 0x55 0xAA at bytes 510..511 of sector 0.
    private static final int MBR_SIZE = Sectors.SIZE;
    private static final int OFF_SIGNATURE = 510;
    private static final int OFF_PARTITIONS = 446;
    private static final int ENTRY_SIZE = 16;
    private static final int ENTRIES = 4;
    private static final int OFF_TYPE = 4;
    private static final int OFF_FIRST_LBA = 8;
    private static final int OFF_SECTORS = 12;
    private static final int STATUS_INACTIVE = 0x00;
    private static final int STATUS_ACTIVE = 0x80;
    // MBR addresses are 32-bit sector numbers.
    private static final long MBR_ADDRESSABLE_SECTORS = 1L << 32;
    // UEFI 5.2.3: partition type of a protective MBR.
    static final int TYPE_PROTECTIVE = 0xEE;

    // UEFI 5.3.2: GPT header at LBA 1, "EFI PART", revision 1.0.
    private static final byte[] GPT_SIGNATURE = "EFI PART".getBytes(StandardCharsets.US_ASCII);
    private static final int[] SECTOR_SIZES = {Sectors.SIZE, Sectors.LARGE_SIZE};
    static final int GPT_REVISION = 0x00010000;
    private static final int G_REVISION = 8;
    private static final int G_HEADER_SIZE = 12;
    private static final int G_HEADER_CRC = 16;
    private static final int G_MY_LBA = 24;
    private static final int G_ENTRIES_LBA = 72;
    private static final int G_ENTRY_COUNT = 80;
    private static final int G_ENTRY_SIZE = 84;
    private static final int G_ENTRIES_CRC = 88;
    static final int MIN_HEADER_SIZE = 92;
    // Sane limits: 128 entries of 128 bytes is the norm; these bound the bytes read to 128 KiB.
    static final long MAX_GPT_ENTRIES = 1024;
    private static final long MIN_GPT_ENTRY_SIZE = 128;
    private static final long MAX_GPT_ENTRY_SIZE = 4096;
    private static final long MAX_GPT_ARRAY_BYTES = 128 * 1024;

    @Override
    public DiskFormat format() {
        return DiskFormat.RAW;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        ByteBuffer mbr = image.read(0, MBR_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        if (mbr.remaining() < MBR_SIZE || Bounds.u8(mbr, OFF_SIGNATURE) != 0x55
                || Bounds.u8(mbr, OFF_SIGNATURE + 1) != 0xAA) {
            return;
        }
        int used = 0;
        boolean protective = false;
        for (int i = 0; i < ENTRIES; i++) {
            int entry = OFF_PARTITIONS + i * ENTRY_SIZE;
            int status = Bounds.u8(mbr, entry); // the status is an entry's first byte
            if (status != STATUS_INACTIVE && status != STATUS_ACTIVE) {
                return;
            }
            int type = Bounds.u8(mbr, entry + OFF_TYPE);
            if (type == 0) {
                continue;
            }
            long first = Bounds.u32(mbr, entry + OFF_FIRST_LBA);
            long sectors = Bounds.u32(mbr, entry + OFF_SECTORS);
            if (first + sectors > MBR_ADDRESSABLE_SECTORS) {
                return;
            }
            used++;
            protective |= type == TYPE_PROTECTIVE;
        }
        if (used == 0) {
            return;
        }
        String variant = "mbr";
        if (protective) {
            String problem = gptProblem(image, result);
            if (problem == null) {
                variant = "gpt";
            } else {
                result.warn(FindingCode.GPT_MALFORMED, MBR_SIZE, problem);
            }
        }
        result.detail("mbr_partitions", used);
        result.variant(variant).virtualSize(image.size()).matched();
    }

    /** Looks for a valid GPT at LBA 1 for each sector size; null when found, else why not. */
    private static String gptProblem(ImageBytes image, InspectionBuilder result) {
        String problem = "protective MBR without a GPT header at LBA 1";
        for (int sectorSize : SECTOR_SIZES) {
            ByteBuffer header = image.read(sectorSize, sectorSize).order(ByteOrder.LITTLE_ENDIAN);
            if (header.remaining() < MIN_HEADER_SIZE || !Magic.startsWith(header, GPT_SIGNATURE)) {
                continue;
            }
            problem = checkGpt(image, header, sectorSize, result);
            if (problem == null) {
                return null;
            }
        }
        return problem;
    }

    /** UEFI 5.3.2: header and partition entry array checks; null when valid. */
    private static String checkGpt(ImageBytes image, ByteBuffer header, int sectorSize, InspectionBuilder result) {
        long revision = Bounds.u32(header, G_REVISION);
        if (revision != GPT_REVISION) {
            return "GPT header revision " + Long.toHexString(revision) + " is not 1.0";
        }
        long headerSize = Bounds.u32(header, G_HEADER_SIZE);
        if (headerSize < MIN_HEADER_SIZE || headerSize > header.remaining()) {
            return "GPT header size " + headerSize + " is outside 92.." + sectorSize;
        }
        if (Checksums.crc32(header, (int) headerSize, G_HEADER_CRC) != Bounds.u32(header, G_HEADER_CRC)) {
            return "GPT header CRC32 does not match";
        }
        if (header.getLong(G_MY_LBA) != 1) {
            return "GPT header does not record LBA 1 as its own location";
        }
        long count = Bounds.u32(header, G_ENTRY_COUNT);
        long entrySize = Bounds.u32(header, G_ENTRY_SIZE);
        if (count > MAX_GPT_ENTRIES || entrySize < MIN_GPT_ENTRY_SIZE || entrySize > MAX_GPT_ENTRY_SIZE
                || entrySize % 8 != 0 || count * entrySize > MAX_GPT_ARRAY_BYTES) {
            return "GPT partition entry array of " + count + " entries of " + entrySize + " bytes is not sane";
        }
        long entriesLba = header.getLong(G_ENTRIES_LBA);
        int arrayBytes = (int) (count * entrySize);
        // The second test only keeps entriesLba * sectorSize from overflowing; without overflow the
        // third covers it, so it cannot be observed with a file smaller than 2^54 bytes.
        if (entriesLba < 2 || entriesLba > image.size() / sectorSize
                || entriesLba * sectorSize > image.size() - arrayBytes) {
            return "GPT partition entry array at LBA " + Long.toUnsignedString(entriesLba)
                    + " lies outside the image";
        }
        ByteBuffer array = image.read(entriesLba * sectorSize, arrayBytes).order(ByteOrder.LITTLE_ENDIAN);
        if (array.remaining() < arrayBytes) {
            return "GPT partition entry array is cut short";
        }
        if (Checksums.crc32(array, arrayBytes) != Bounds.u32(header, G_ENTRIES_CRC)) {
            return "GPT partition entry array CRC32 does not match";
        }
        int used = 0;
        for (int i = 0; i < count; i++) {
            int entry = (int) (i * entrySize);
            // UEFI 5.3.3: an all-zero partition type GUID marks an unused entry.
            if (!Guids.isNil(array, entry)) {
                used++;
            }
        }
        result.detail("gpt_partitions", used).detail("gpt_sector_size", sectorSize);
        return null;
    }
}
