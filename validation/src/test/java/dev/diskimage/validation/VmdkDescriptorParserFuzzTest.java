package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;


/** Fuzzes the descriptor parser alone: it either parses or fails with a malformed-descriptor finding. */
class VmdkDescriptorParserFuzzTest {

    @ShortFuzzTest
    void parsesOrRejectsAnyText(byte[] data) {
        try {
            VmdkDescriptor descriptor = VmdkDescriptorParser.parse(data, 0);
            assertThat(descriptor.extents()).hasSizeLessThanOrEqualTo(VmdkDescriptorParser.MAX_EXTENTS);
            assertThat(descriptor.extents()).allSatisfy(e -> assertThat(e.sectors())
                    .isBetween(1L, VmdkDescriptorParser.MAX_EXTENT_SECTORS));
        } catch (InspectionFailure failure) {
            assertThat(failure.code()).isEqualTo(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
            assertThat(failure.offset()).isBetween(0L, (long) data.length);
        }
    }
}
