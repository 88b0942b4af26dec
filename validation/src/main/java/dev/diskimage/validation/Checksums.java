package dev.diskimage.validation;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * The checksums image formats protect their headers with, computed the way the formats define
 * them: most over a structure whose own checksum field counts as zero. All read from absolute
 * indexes of a buffer and leave its position alone. VHD's byte sum lives with the VHD structures
 * in {@code dev.diskimage.core.vhd.VhdChecksum}.
 */
final class Checksums {
    /** Width of the 32-bit checksum fields (VHDX, GPT). */
    static final int FIELD_32 = 4;

    private Checksums() {
    }

    /** CRC-32 (ISO-HDLC, as in zlib and UEFI) of the first {@code length} bytes. */
    static long crc32(ByteBuffer buffer, int length) {
        CRC32 crc = new CRC32();
        crc.update(copy(buffer, length));
        return crc.getValue();
    }

    /**
     * CRC-32 of the first {@code length} bytes with the 4-byte field at {@code fieldOffset}
     * counted as zero (GPT header).
     */
    static long crc32(ByteBuffer buffer, int length, int fieldOffset) {
        CRC32 crc = new CRC32();
        crc.update(zeroed(buffer, length, fieldOffset, FIELD_32));
        return crc.getValue();
    }

    /**
     * CRC-32C (Castagnoli) of the first {@code length} bytes with the 4-byte field at
     * {@code fieldOffset} counted as zero (VHDX headers, region and metadata tables).
     */
    static long crc32c(ByteBuffer buffer, int length, int fieldOffset) {
        CRC32C crc = new CRC32C();
        crc.update(zeroed(buffer, length, fieldOffset, FIELD_32));
        return crc.getValue();
    }

    /**
     * ECMA-167 3/7.2.6 (UDF descriptor CRC): CRC-ITU-T, polynomial x^16 + x^12 + x^5 + 1,
     * initial value 0, most significant bit first, over {@code length} bytes from {@code offset}.
     */
    static int crc16Itu(ByteBuffer buffer, int offset, int length) {
        int crc = 0;
        for (int i = offset; i < offset + length; i++) {
            crc ^= Bounds.u8(buffer, i) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            crc &= 0xFFFF;
        }
        return crc;
    }

    /**
     * The {@code algorithm} digest of the first {@code length} bytes with the {@code fieldLength}
     * bytes at {@code fieldOffset} counted as zero (LUKS2: SHA-256 with the csum field zeroed).
     */
    static byte[] digest(String algorithm, ByteBuffer buffer, int length, int fieldOffset, int fieldLength) {
        return messageDigest(algorithm).digest(zeroed(buffer, length, fieldOffset, fieldLength));
    }

    /**
     * The {@code algorithm} digest of {@code length} bytes from {@code offset} (Parallels: MD5 of
     * a format extension cluster).
     */
    static byte[] digest(String algorithm, ByteBuffer buffer, int offset, int length) {
        byte[] bytes = new byte[length];
        buffer.get(offset, bytes);
        return messageDigest(algorithm).digest(bytes);
    }

    private static MessageDigest messageDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides " + algorithm, e);
        }
    }

    private static byte[] copy(ByteBuffer buffer, int length) {
        byte[] bytes = new byte[length];
        buffer.get(0, bytes);
        return bytes;
    }

    private static byte[] zeroed(ByteBuffer buffer, int length, int fieldOffset, int fieldLength) {
        byte[] bytes = copy(buffer, length);
        Arrays.fill(bytes, fieldOffset, fieldOffset + fieldLength, (byte) 0);
        return bytes;
    }
}
