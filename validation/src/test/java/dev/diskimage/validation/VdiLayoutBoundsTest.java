package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VdiInspector where the block map and the data area meet, and where a differencing image's
 * reference points. One qemu-img image (10 MiB, 1 MiB blocks, map at 0x200, data at 0x400).
 */
class VdiLayoutBoundsTest {
    private static final VdiInspector INSPECTOR = new VdiInspector();

    @TempDir
    static Path dir;
    private static byte[] dynamic;

    @BeforeAll
    static void createImage() throws Exception {
        dynamic = Files.readAllBytes(InspectorHarness.qemuImg(dir, "d.vdi", "create", "-q", "-f", "vdi", "{}", "10M"));
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void acceptsDataStartingRightAfterAFullSectorOfBlockMap() {
        // 128 blocks: a 512-byte map filling 0x200..0x400, exactly where the data begins.
        byte[] image = dynamic.clone();
        le(image).putInt(VdiInspector.BLOCKS_IN_IMAGE, 128);
        Inspection result = InspectorHarness.inspect(INSPECTOR, image);
        assertThat(result.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(result.details()).containsEntry("blocks", 128L);
    }

    @Test
    void rejectsDataOverlappingTheBlockMap() {
        byte[] image = dynamic.clone();
        le(image).putInt(VdiInspector.BLOCKS_IN_IMAGE, 128).putInt(VdiInspector.OFFSET_DATA, 0x200);
        Inspection result = InspectorHarness.inspect(INSPECTOR, image);
        assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(result.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
            assertThat(f.offset()).isEqualTo(VdiInspector.OFFSET_DATA);
        });
    }

    @Test
    void rejectsABlockMapOneEntryLongerThanTheRoomBeforeTheData() {
        // 129 blocks: the map's last entry (0x400..0x404) is the data area's first four bytes,
        // which a longer file holds (qemu-img's empty image ends at 0x400).
        byte[] image = java.util.Arrays.copyOf(dynamic, 4096);
        le(image).putInt(VdiInspector.BLOCKS_IN_IMAGE, 129);
        Inspection result = InspectorHarness.inspect(INSPECTOR, image);
        assertThat(result.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(result.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
            assertThat(f.offset()).isEqualTo(VdiInspector.OFFSET_DATA);
            assertThat(f.message()).isEqualTo("VDI data offset 1024 overlaps the block map ending at 1028");
        });
    }

    @Test
    void namesTheUnsupportedVersion() {
        byte[] image = dynamic.clone();
        le(image).putInt(VdiInspector.VERSION, 0x00010002);
        Inspection result = InspectorHarness.inspect(INSPECTOR, image);
        assertThat(result.findings()).singleElement().satisfies(f -> {
            assertThat(f.offset()).isEqualTo(VdiInspector.VERSION);
            assertThat(f.message()).isEqualTo("VDI version 1.2 is not supported (only 1.1)");
        });
    }

    @Test
    void pointsTheReferenceAtTheParentUuidWhenThereIsNoLinkUuid() {
        byte[] image = dynamic.clone();
        image[VdiInspector.UUID_PARENT + 15] = 1;
        Inspection result = InspectorHarness.inspect(INSPECTOR, image);
        assertThat(result.references()).singleElement()
                .satisfies(ref -> assertThat(ref.offset()).isEqualTo(VdiInspector.UUID_PARENT));
        assertThat(result.details()).containsEntry("parent_uuid", "00000000-0000-0000-0000-000000000001")
                .containsEntry("link_uuid", "00000000-0000-0000-0000-000000000000");
    }

    @Test
    void reportsNoReferenceForAPlainImage() {
        Inspection result = InspectorHarness.inspect(INSPECTOR, dynamic);
        assertThat(result.references()).isEmpty();
        assertThat(result.details()).doesNotContainKeys("link_uuid", "parent_uuid");
    }
}
