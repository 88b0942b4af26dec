package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class VmdkDescriptorParserTest {

    /** Exactly what qemu-img 7.2 writes for {@code -o subformat=monolithicSparse}. */
    static final String QEMU_SPARSE = """
            # Disk DescriptorFile
            version=1
            CID=ca087847
            parentCID=ffffffff
            createType="monolithicSparse"

            # Extent description
            RW 131072 SPARSE "a.vmdk"

            # The Disk Data Base
            #DDB

            ddb.virtualHWVersion = "4"
            ddb.geometry.cylinders = "130"
            ddb.geometry.heads = "16"
            ddb.geometry.sectors = "63"
            ddb.adapterType = "ide"
            ddb.toolsVersion = "2147483647"
            """;

    private static VmdkDescriptor parse(String text) {
        return VmdkDescriptorParser.parse(text.getBytes(StandardCharsets.UTF_8), 0);
    }

    private static InspectionFailure failure(String text, long base) {
        InspectionFailure[] caught = new InspectionFailure[1];
        assertThatThrownBy(() -> VmdkDescriptorParser.parse(text.getBytes(StandardCharsets.UTF_8), base))
                .isInstanceOfSatisfying(InspectionFailure.class, f -> caught[0] = f);
        assertThat(caught[0].code()).isEqualTo(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
        return caught[0];
    }

    @Test
    void parsesQemuMonolithicSparseDescriptor() {
        VmdkDescriptor d = parse(QEMU_SPARSE);

        assertThat(d.version()).hasValue(1);
        assertThat(d.cid()).hasValue(0xca087847L);
        assertThat(d.parentCid()).hasValue(VmdkDescriptor.NO_PARENT_CID);
        assertThat(d.createType()).hasValue("monolithicSparse");
        assertThat(d.parentFileNameHint()).isEmpty();
        assertThat(d.declaresParent()).isFalse();
        assertThat(d.extents()).singleElement().satisfies(e -> {
            assertThat(e.access()).isEqualTo(VmdkDescriptor.Access.RW);
            assertThat(e.sectors()).isEqualTo(131072);
            assertThat(e.type()).isEqualTo(VmdkDescriptor.ExtentType.SPARSE);
            assertThat(e.fileName()).hasValue("a.vmdk");
            assertThat(e.offset()).isEmpty();
            assertThat(e.textOffset()).isEqualTo(QEMU_SPARSE.indexOf("RW "));
        });
        assertThat(d.ddb()).containsEntry("ddb.adapterType", "ide").containsEntry("ddb.geometry.heads", "16")
                .hasSize(6);
    }

    @Test
    void toleratesCommentsBlankLinesCrlfAndOddSpacing() {
        String text = "# Disk DescriptorFile\r\n\r\n   version = 1\r\n\tCID=1\r\nparentCID=ffffffff\r\n"
                + "createType =\t\"twoGbMaxExtentFlat\"   \r\n   # indented comment\r\n"
                + "RW   100\tFLAT  \"disk-f001.vmdk\"   0\r\n\r\n  RDONLY 50 FLAT \"disk-f002.vmdk\" 7  \r\n"
                + "encoding=\"UTF-8\"";
        VmdkDescriptor d = parse(text);

        assertThat(d.createType()).hasValue("twoGbMaxExtentFlat");
        assertThat(d.entries()).containsEntry("encoding", "UTF-8");
        assertThat(d.extents()).extracting(VmdkDescriptor.Extent::fileName)
                .map(o -> o.orElseThrow()).containsExactly("disk-f001.vmdk", "disk-f002.vmdk");
        assertThat(d.extents().get(1).access()).isEqualTo(VmdkDescriptor.Access.RDONLY);
        assertThat(d.extents().get(1).offset()).hasValue(7);
    }

    @Test
    void parsesEveryExtentTypeAndAccessMode() {
        String text = """
                createType="vmfs"
                RW 1 FLAT "a" 0
                RW 2 SPARSE "b"
                NOACCESS 3 ZERO
                RW 4 VMFS "c"
                RW 5 VMFSSPARSE "d"
                RW 6 VMFSRDM "e"
                RW 7 VMFSRAW "f"
                RW 8 SESPARSE "g"
                """;
        VmdkDescriptor d = parse(text);

        assertThat(d.extents()).extracting(VmdkDescriptor.Extent::type)
                .containsExactly(VmdkDescriptor.ExtentType.values());
        assertThat(d.extents().get(2).fileName()).isEmpty();
        assertThat(d.extents().get(2).access()).isEqualTo(VmdkDescriptor.Access.NOACCESS);
    }

    @Test
    void endsTextAtTheFirstNulAsQemuDoes() {
        byte[] raw = Arrays.copyOf(QEMU_SPARSE.getBytes(StandardCharsets.US_ASCII), 10240);
        byte[] after = "\nRW 1 FLAT \"/etc/passwd\" 0\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(after, 0, raw, 9000, after.length);

        assertThat(VmdkDescriptorParser.parse(raw, 512).extents()).hasSize(1);
    }

    @Test
    void readsParentHintAndParentCid() {
        VmdkDescriptor d = parse("CID=a554688\nparentCID=ca087847\ncreateType=\"monolithicSparse\"\n"
                + "parentFileNameHint=\"/images/base.vmdk\"\nRW 8 SPARSE \"c.vmdk\"\n");

        assertThat(d.parentFileNameHint()).hasValue("/images/base.vmdk");
        assertThat(d.parentCid()).hasValue(0xca087847L);
        assertThat(d.declaresParent()).isTrue();
    }

    @Test
    void treatsParentCidAloneAsAParent() {
        assertThat(parse("parentCID=12345678\ncreateType=\"monolithicSparse\"\n").declaresParent()).isTrue();
    }

    @Test
    void decodesUtf8FileNames() {
        VmdkDescriptor d = parse("createType=\"monolithicFlat\"\nRW 8 FLAT \"d\u00efsk-flat.vmdk\" 0\n");

        assertThat(d.extents().get(0).fileName()).hasValue("d\u00efsk-flat.vmdk");
    }

    @Test
    void rejectsUnrecognisedLineWithItsOffset() {
        String text = "createType=\"monolithicFlat\"\nthis is not a descriptor line\n";
        InspectionFailure f = failure(text, 1000);

        assertThat(f.offset()).isEqualTo(1000 + text.indexOf("this"));
    }

    @Test
    void rejectsMalformedExtentLines() {
        failure("RW 100 FLAT \"unterminated 0\n", 0);
        failure("RW 100 FLAT\n", 0);
        failure("RW FLAT \"x\" 0\n", 0);
        failure("RW 100 FLAT \"x\" 0 trailing\n", 0);
        failure("RW\n100 FLAT \"x\" 0\n", 0);
        failure("RW -5 FLAT \"x\" 0\n", 0);
    }

    @Test
    void rejectsUnknownExtentType() {
        assertThat(failure("RW 100 flat \"x\" 0\n", 0).getMessage()).contains("unknown extent type");
        failure("RW 100 NETWORK \"x\"\n", 0);
    }

    @Test
    void rejectsZeroExtentWithNameAndFileExtentWithoutName() {
        failure("RW 100 ZERO \"x\"\n", 0);
        failure("RW 100 SPARSE\n", 0);
        failure("RW 100 SPARSE \"\"\n", 0);
    }

    @Test
    void rejectsAbsurdExtentSizes() {
        failure("RW 0 FLAT \"x\" 0\n", 0);
        failure("RW 9223372036854775807 FLAT \"x\" 0\n", 0);
        failure("RW 99999999999999999999 FLAT \"x\" 0\n", 0);
        failure("RW 1 FLAT \"x\" 99999999999999999999\n", 0);
    }

    @Test
    void rejectsDuplicateAndCaseVariantKeys() {
        failure("createType=\"monolithicSparse\"\ncreateType=\"monolithicFlat\"\n", 0);
        failure("CID=1\ncid=2\n", 0);
        failure("createtype=\"monolithicFlat\"\n", 0);
        failure("ddb.a=\"1\"\nDDB.A=\"2\"\n", 0);
    }

    @Test
    void rejectsKeysQemuWouldFindInsideCommentsOrValues() {
        failure("# createType=\"monolithicSparse\"\ncreateType=\"monolithicFlat\"\n", 0);
        failure("# parentFileNameHint=\"/etc/shadow\"\ncreateType=\"monolithicSparse\"\n", 0);
        failure("createType=\"monolithicSparse\"\nddb.comment=\"parentCID=0\"\n", 0);
        failure("createType=\"monolithicSparse\"\nRW 8 SPARSE \"parentFileNameHint.vmdk\"\n", 0);
    }

    @Test
    void rejectsInvalidNumbersInKnownEntries() {
        failure("CID=xyz\n", 0);
        failure("parentCID=123456789\n", 0);
        failure("version=one\n", 0);
        failure("createType=\"\"\n", 0);
    }

    @Test
    void rejectsControlCharacters() {
        failure("createType=\"monolithicSparse\"\u0001\n", 0);
        failure("createType=\"a\u007fb\"\n", 0);
    }

    @Test
    void rejectsDescriptorsLargerThan64KiB() {
        byte[] big = new byte[VmdkDescriptorParser.MAX_DESCRIPTOR_BYTES + 1];
        Arrays.fill(big, (byte) '#');

        assertThatThrownBy(() -> VmdkDescriptorParser.parse(big, 0))
                .isInstanceOfSatisfying(InspectionFailure.class,
                        f -> assertThat(f.code()).isEqualTo(FindingCode.VMDK_MALFORMED_DESCRIPTOR));
    }

    @Test
    void acceptsExactlyTheMaximumSizeOfPadding() {
        byte[] raw = Arrays.copyOf("createType=\"vmfs\"\n".getBytes(StandardCharsets.US_ASCII),
                VmdkDescriptorParser.MAX_DESCRIPTOR_BYTES);

        assertThat(VmdkDescriptorParser.parse(raw, 0).createType()).hasValue("vmfs");
    }

    @Test
    void rejectsMoreThanTheMaximumNumberOfExtents() {
        StringBuilder text = new StringBuilder("createType=\"twoGbMaxExtentFlat\"\n");
        for (int i = 0; i <= VmdkDescriptorParser.MAX_EXTENTS; i++) {
            text.append("RW 1 FLAT \"f").append(i).append("\" 0\n");
        }

        assertThat(failure(text.toString(), 0).getMessage()).contains("more than");
    }

    @Test
    void acceptsAnEmptyDescriptor() {
        VmdkDescriptor d = VmdkDescriptorParser.parse(new byte[512], 0);

        assertThat(d.extents()).isEmpty();
        assertThat(d.createType()).isEmpty();
    }

    @Test
    void aLeadingBlankLineChangesNothing() {
        VmdkDescriptor d = parse("\n" + QEMU_SPARSE);

        assertThat(d.createType()).hasValue("monolithicSparse");
        assertThat(d.extents()).singleElement().satisfies(e -> assertThat(e.fileName()).hasValue("a.vmdk"));
    }

    @Test
    void refusesASecondCreateTypeEvenWhenTheEntryOpensTheText() {
        String text = "createType=\"monolithicSparse\"\nRW 8 SPARSE \"a.vmdk\"\n# createType=\"vmfs\"\n";

        assertThat(failure(text, 0).offset()).isEqualTo(text.lastIndexOf("createType"));
    }

    @Test
    void refusesAKeyThatOnlyStartsLikeAParentHintAtTheVeryStart() {
        // qemu's substring search would find "parentFileNameHint" inside this unknown key.
        String text = "parentFileNameHintX=\"/etc/shadow\"\n" + QEMU_SPARSE;

        assertThat(failure(text, 0).offset()).isZero();
    }

    @Test
    void quotesAnUnrecognisedLineWholeUpTo80CharactersAndCutsLongerOnes() {
        String eighty = "x".repeat(80);
        assertThat(failure(QEMU_SPARSE + eighty + "\n", 0).getMessage()).contains("'" + eighty + "'");
        assertThat(failure(QEMU_SPARSE + eighty + "y\n", 0).getMessage()).contains("'" + eighty + "...'");
    }
}
