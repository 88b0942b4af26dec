package dev.diskimage.core.luks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Luks1HeaderTest {
    private static final long FILE_SIZE = 4 << 20;

    /** A LUKS1 header as the spec lays it out: aes-xts-plain64, sha256, slot 0 active, payload at 2 MiB. */
    static byte[] header() {
        ByteBuffer header = ByteBuffer.allocate(Luks1Header.LENGTH);
        header.put(new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe}).putShort((short) 1);
        header.put(8, "aes".getBytes(StandardCharsets.US_ASCII)).put(40, "xts-plain64".getBytes(StandardCharsets.US_ASCII))
                .put(72, "sha256".getBytes(StandardCharsets.US_ASCII)).putInt(104, 4096).putInt(108, 64);
        for (int i = 0; i < 20; i++) {
            header.put(112 + i, (byte) i);
        }
        header.put(132, new byte[] {9, 9}).putInt(164, 1000)
                .put(168, "5a5e2f0c-0000-4000-8000-000000000001".getBytes(StandardCharsets.US_ASCII));
        for (int slot = 0; slot < 8; slot++) {
            int base = 208 + 48 * slot;
            header.putInt(base, slot == 0 ? 0x00AC71F3 : 0x0000DEAD).putInt(base + 4, slot == 0 ? 2000 : 0)
                    .put(base + 8, (byte) (slot + 1)).putInt(base + 40, 8 + 512 * slot).putInt(base + 44, 4000);
        }
        return header.array();
    }

    private static Luks1Header parse(byte[] header) {
        return Luks1Header.parse(ByteBuffer.wrap(header), FILE_SIZE);
    }

    private static byte[] patch(int offset, int value) {
        byte[] header = header();
        ByteBuffer.wrap(header).putInt(offset, value);
        return header;
    }

    private static void assertMalformedAt(byte[] header, long offset, String reason) {
        LuksFormatException error = catchThrowableOfType(LuksFormatException.class, () -> parse(header));
        assertThat(error.kind()).isEqualTo(LuksFormatException.Kind.MALFORMED);
        assertThat(error.offset()).isEqualTo(offset);
        assertThat(error.reason()).contains(reason).isEqualTo(error.getMessage());
    }

    @Test
    void parsesEveryFieldOfTheSpecLayout() {
        Luks1Header header = parse(header());
        assertThat(header.cipherName()).isEqualTo("aes");
        assertThat(header.cipherMode()).isEqualTo("xts-plain64");
        assertThat(header.hashSpec()).isEqualTo("sha256");
        assertThat(header.payloadOffset()).isEqualTo(4096L * 512);
        assertThat(header.keyBytes()).isEqualTo(64);
        assertThat(header.mkDigest()).hasSize(20).startsWith(0, 1, 2);
        assertThat(header.mkDigestSalt()).hasSize(32).startsWith(9, 9, 0);
        assertThat(header.mkDigestIterations()).isEqualTo(1000);
        assertThat(header.uuid()).isEqualTo("5a5e2f0c-0000-4000-8000-000000000001");
        assertThat(header.keySlots()).hasSize(8);
        assertThat(header.activeKeySlots()).singleElement().satisfies(slot -> {
            assertThat(slot.index()).isZero();
            assertThat(slot.iterations()).isEqualTo(2000);
            assertThat(slot.salt()).hasSize(32).startsWith(1);
            assertThat(slot.materialOffset()).isEqualTo(8 * 512);
            assertThat(slot.stripes()).isEqualTo(4000);
            assertThat(slot.materialLength(64)).isEqualTo(256_000);
        });
    }

    @Test
    void arraysCannotBeChangedFromOutside() {
        Luks1Header header = parse(header());
        header.mkDigest()[0] = 42;
        header.mkDigestSalt()[0] = 42;
        header.keySlots().get(0).salt()[0] = 42;
        assertThat(header.mkDigest()[0]).isZero();
        assertThat(header.mkDigestSalt()[0]).isEqualTo((byte) 9);
        assertThat(header.keySlots().get(0).salt()[0]).isEqualTo((byte) 1);
        assertThatThrownBy(() -> header.keySlots().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void refusesEachBrokenFieldAtItsOffset() {
        assertMalformedAt(patch(108, 7), 108, "key length 7 bytes");
        assertMalformedAt(patch(108, -1), 108, "key length 4294967295 bytes");
        assertMalformedAt(patch(164, 0), 164, "digest iteration count is 0");
        assertMalformedAt(patch(104, 1), 104, "overlaps the header");
        assertMalformedAt(patch(104, -1), 104, "beyond the image of " + FILE_SIZE);
        assertMalformedAt(patch(208 + 48, 0x12345678), 208 + 48, "invalid state 0x12345678");
        assertMalformedAt(patch(208 + 4, 0), 208 + 4, "0 iterations");
        assertMalformedAt(patch(208 + 44, 4001), 208 + 44, "4001 stripes");
        assertMalformedAt(patch(208 + 40, 1), 208 + 40, "overlaps the header or the payload");
        assertMalformedAt(patch(208 + 40, 4096 - 499), 208 + 40, "overlaps the header or the payload");
        assertThat(parse(patch(208 + 40, 4096 - 500)).activeKeySlots().get(0).materialOffset()).isEqualTo(3596L * 512);
    }

    @Test
    void inactiveSlotsAreNotChecked() {
        byte[] header = patch(208 + 48 + 44, 1);
        ByteBuffer.wrap(header).putInt(208 + 48 + 40, -1);
        assertThat(parse(header).activeKeySlots()).hasSize(1);
    }

    @Test
    void refusesNamesThatAreEmptyUnterminatedOrUnprintable() {
        byte[] empty = header();
        Arrays.fill(empty, 40, 72, (byte) 0);
        assertMalformedAt(empty, 40, "LUKS1 cipher mode is empty");
        byte[] unterminated = header();
        Arrays.fill(unterminated, 8, 40, (byte) 'a');
        assertMalformedAt(unterminated, 8, "is not a terminated printable name");
        byte[] control = header();
        control[74] = 0x1b;
        assertMalformedAt(control, 72, "LUKS1 hash spec");
        byte[] longest = header();
        Arrays.fill(longest, 8, 8 + 31, (byte) '~');
        assertThat(parse(longest).cipherName()).hasSize(31);
    }

    @Test
    void quotesARefusedNameExactlyAsItsFieldHoldsIt() {
        byte[] unterminated = header();
        Arrays.fill(unterminated, 8, 40, (byte) 'a');
        // All 32 bytes and not one more: the cipher mode "xts-plain64" follows at 40.
        assertThat(catchThrowableOfType(LuksFormatException.class, () -> parse(unterminated)).reason())
                .isEqualTo("LUKS1 cipher name '" + "a".repeat(32) + "' is not a terminated printable name");
        byte[] control = header();
        control[74] = 0x1b;
        assertThat(catchThrowableOfType(LuksFormatException.class, () -> parse(control)).reason())
                .isEqualTo("LUKS1 hash spec 'sh\u001b256' is not a terminated printable name");
    }

    @Test
    void namesMayHoldEveryPrintableByteFromSpaceToTilde() {
        byte[] printable = header();
        printable[8 + 1] = ' ';
        printable[8 + 2] = '~';
        assertThat(parse(printable).cipherName()).isEqualTo("a ~");
        byte[] unitSeparator = header();
        unitSeparator[8 + 1] = 0x1f;
        assertMalformedAt(unitSeparator, 8, "LUKS1 cipher name 'a\u001fs' is not a terminated printable name");
        byte[] delete = header();
        delete[8 + 1] = 0x7f;
        assertMalformedAt(delete, 8, "LUKS1 cipher name 'a\u007fs' is not a terminated printable name");
    }

    @Test
    void payloadMayStartRightAfterTheHeaderAndEndExactlyAtTheFileEnd() {
        byte[] noSlots = patch(208, 0x0000DEAD);
        ByteBuffer.wrap(noSlots).putInt(104, 2);
        assertThat(parse(noSlots).payloadOffset()).isEqualTo(1024);
        byte[] header = header();
        long payload = 4096L * 512;
        assertThat(Luks1Header.parse(ByteBuffer.wrap(header), payload).payloadOffset()).isEqualTo(payload);
        LuksFormatException shortFile = catchThrowableOfType(LuksFormatException.class,
                () -> Luks1Header.parse(ByteBuffer.wrap(header), payload - 1));
        assertThat(shortFile.offset()).isEqualTo(104);
        assertThat(shortFile.reason()).isEqualTo("LUKS1 payload offset " + payload
                + " overlaps the header or lies beyond the image of " + (payload - 1) + " bytes");
    }

    @Test
    void keyMaterialMayStartRightAfterTheHeader() {
        assertThat(parse(patch(208 + 40, 2)).activeKeySlots().get(0).materialOffset()).isEqualTo(1024);
        assertMalformedAt(patch(208 + 40, 1), 208 + 40, "LUKS1 key slot 0 material at 512 overlaps the header");
    }

    @Test
    void inactiveSlotsKeepTheirFieldsAsRead() {
        Luks1Header.KeySlot slot = parse(header()).keySlots().get(1);
        assertThat(slot.index()).isEqualTo(1);
        assertThat(slot.active()).isFalse();
        assertThat(slot.iterations()).isZero();
        assertThat(slot.salt()).startsWith(2);
        assertThat(slot.materialOffset()).isEqualTo((8 + 512) * 512L);
        assertThat(slot.stripes()).isEqualTo(4000);
    }

    @Test
    void needsTheWholeHeader() {
        assertThatThrownBy(() -> Luks1Header.parse(ByteBuffer.allocate(591), FILE_SIZE))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
