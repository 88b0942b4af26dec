package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Building, copying and comparing policies, and the values a policy refuses to hold. */
class ImagePolicyTest {
    private static final String VALID_TYPES = "monolithicSparse, monolithicFlat, twoGbMaxExtentSparse, "
            + "twoGbMaxExtentFlat, streamOptimized, vmfs, vmfsSparse, vmfsThin, vmfsRaw, vmfsRawDeviceMap, "
            + "vmfsPassthroughRawDeviceMap, vmfsPreallocated, vmfsEagerZeroedThick, custom, fullDevice, "
            + "partitionedDevice, seSparse, vsanSparse";

    @Test
    void defaultsAreTheSafeChoices() {
        ImagePolicy policy = ImagePolicy.defaults();

        assertThat(policy.allowedFormats()).isEqualTo(EnumSet.allOf(DiskFormat.class));
        assertThat(policy.vmdkAllowedTypes()).containsExactlyInAnyOrder("monolithicSparse", "streamOptimized");
        assertThat(policy.allowBackingFiles()).isFalse();
        assertThat(policy.maxVirtualSize()).isEqualTo(1L << 50);
        assertThat(policy.minVirtualSize()).isZero();
        assertThat(policy.qemuCrossCheck()).isFalse();
        assertThat(policy.readBudget()).isEqualTo(1L << 20);
    }

    @Test
    void theBuilderStartsFromTheDefaults() {
        assertThat(ImagePolicy.builder().build()).isEqualTo(ImagePolicy.defaults());
    }

    @Test
    void theBuilderSetsEachField() {
        ImagePolicy policy = ImagePolicy.builder()
                .allowedFormats(Set.of(DiskFormat.QCOW2, DiskFormat.RAW))
                .vmdkAllowedTypes(Set.of("monolithicFlat"))
                .allowBackingFiles(true)
                .maxVirtualSize(10L << 30)
                .minVirtualSize(1)
                .qemuCrossCheck(true)
                .readBudget(4L << 20)
                .build();

        assertThat(policy.allowedFormats()).containsExactlyInAnyOrder(DiskFormat.QCOW2, DiskFormat.RAW);
        assertThat(policy.vmdkAllowedTypes()).containsExactly("monolithicFlat");
        assertThat(policy.allowBackingFiles()).isTrue();
        assertThat(policy.maxVirtualSize()).isEqualTo(10L << 30);
        assertThat(policy.minVirtualSize()).isEqualTo(1);
        assertThat(policy.qemuCrossCheck()).isTrue();
        assertThat(policy.readBudget()).isEqualTo(4L << 20);
    }

    @Test
    void eachCopyMethodChangesOnlyItsField() {
        ImagePolicy defaults = ImagePolicy.defaults();

        assertThat(defaults.withAllowedFormats(Set.of(DiskFormat.RAW)))
                .isEqualTo(ImagePolicy.builder().allowedFormats(Set.of(DiskFormat.RAW)).build());
        assertThat(defaults.withVmdkAllowedTypes(Set.of("vmfs")))
                .isEqualTo(ImagePolicy.builder().vmdkAllowedTypes(Set.of("vmfs")).build());
        assertThat(defaults.withAllowBackingFiles(true))
                .isEqualTo(ImagePolicy.builder().allowBackingFiles(true).build());
        assertThat(defaults.withMaxVirtualSize(5)).isEqualTo(ImagePolicy.builder().maxVirtualSize(5).build());
        assertThat(defaults.withMinVirtualSize(5)).isEqualTo(ImagePolicy.builder().minVirtualSize(5).build());
        assertThat(defaults.withQemuCrossCheck(true)).isEqualTo(ImagePolicy.builder().qemuCrossCheck(true).build());
        assertThat(defaults.withReadBudget(1L << 22)).isEqualTo(ImagePolicy.builder().readBudget(1L << 22).build());
        assertThat(defaults).isEqualTo(ImagePolicy.builder().build());
    }

    @Test
    void toBuilderRoundTripsEveryField() {
        ImagePolicy policy = ImagePolicy.builder().allowedFormats(Set.of(DiskFormat.VMDK))
                .vmdkAllowedTypes(Set.of("custom", "vmfsThin")).allowBackingFiles(true).maxVirtualSize(1000)
                .minVirtualSize(10).qemuCrossCheck(true).readBudget(1L << 21).build();

        assertThat(policy.toBuilder().build()).isEqualTo(policy).hasSameHashCodeAs(policy)
                .hasToString(policy.toString());
        assertThat(policy.toBuilder().minVirtualSize(11).build()).isNotEqualTo(policy);
    }

    @Test
    void equalPoliciesAreEqualWhateverTheSetImplementation() {
        Set<DiskFormat> formats = new HashSet<>(Set.of(DiskFormat.RAW, DiskFormat.QCOW2));
        ImagePolicy one = ImagePolicy.builder().allowedFormats(formats).build();
        ImagePolicy two = ImagePolicy.builder().allowedFormats(EnumSet.of(DiskFormat.QCOW2, DiskFormat.RAW)).build();

        assertThat(one).isEqualTo(two).hasSameHashCodeAs(two).isNotEqualTo(ImagePolicy.defaults())
                .isNotEqualTo("a policy");
        assertThat(one.toString()).isEqualTo(two.toString())
                .contains("allowedFormats=[RAW, QCOW2]", "maxVirtualSize=" + (1L << 50));
    }

    @Test
    void policiesKeyMapsByValueAndPoliciesThatDifferHashApart() {
        java.util.Map<ImagePolicy, String> validators = new java.util.HashMap<>();
        validators.put(ImagePolicy.defaults(), "default");
        validators.put(ImagePolicy.defaults().withReadBudget(64 << 10), "small budget");

        assertThat(validators.get(ImagePolicy.builder().build())).isEqualTo("default");
        assertThat(validators.get(ImagePolicy.builder().readBudget(64 << 10).build())).isEqualTo("small budget");
        // Policies that differ only in their budget, as a service's per-tenant policies do, spread over the buckets.
        assertThat(ImagePolicy.defaults().withReadBudget(1 << 20).hashCode())
                .isNotEqualTo(ImagePolicy.defaults().withReadBudget(2 << 20).hashCode());
    }

    @Test
    void thePolicyDoesNotChangeWithTheSetsItWasBuiltFrom() {
        Set<DiskFormat> formats = EnumSet.of(DiskFormat.RAW);
        Set<String> types = new HashSet<>(Set.of("monolithicFlat"));
        ImagePolicy policy = ImagePolicy.builder().allowedFormats(formats).vmdkAllowedTypes(types).build();

        formats.add(DiskFormat.QCOW2);
        types.add("vmfs");

        assertThat(policy.allowedFormats()).containsExactly(DiskFormat.RAW);
        assertThat(policy.vmdkAllowedTypes()).containsExactly("monolithicFlat");
        assertThatThrownBy(() -> policy.allowedFormats().add(DiskFormat.QCOW2))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void emptyAllowlistsAreAllowedAndRefuseEverything() {
        ImagePolicy policy = ImagePolicy.builder().allowedFormats(Set.of()).vmdkAllowedTypes(Set.of()).build();

        assertThat(policy.allowedFormats()).isEmpty();
        assertThat(policy.vmdkAllowedTypes()).isEmpty();
    }

    @Test
    void sizesAreCheckedWhenThePolicyIsBuiltNamingThePolicyFileKeys() {
        assertThatThrownBy(() -> ImagePolicy.builder().maxVirtualSize(-1).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max_virtual_size must not be negative: -1");
        assertThatThrownBy(() -> ImagePolicy.builder().minVirtualSize(-1).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("min_virtual_size must be between 0 and max_virtual_size (" + (1L << 50) + "): -1");
        assertThatThrownBy(() -> ImagePolicy.defaults().withMaxVirtualSize(10).withMinVirtualSize(11))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("min_virtual_size must be between 0 and max_virtual_size (10): 11");
        assertThatThrownBy(() -> ImagePolicy.defaults().withReadBudget(FileImageBytes.BLOCK - 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("read_budget must be at least " + FileImageBytes.BLOCK + " bytes: "
                        + (FileImageBytes.BLOCK - 1));
        assertThat(ImagePolicy.defaults().withReadBudget(FileImageBytes.BLOCK).readBudget())
                .isEqualTo(FileImageBytes.BLOCK);
        assertThat(ImagePolicy.builder().maxVirtualSize(0).build().maxVirtualSize()).isZero();
    }

    @Test
    void aBuilderThatFailedCanBeCorrectedAndBuilt() {
        ImagePolicy.Builder builder = ImagePolicy.builder().minVirtualSize(100).maxVirtualSize(50);
        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class);

        assertThat(builder.maxVirtualSize(200).build().minVirtualSize()).isEqualTo(100);
    }

    @Test
    void nullSetsAreRefused() {
        assertThatThrownBy(() -> ImagePolicy.builder().allowedFormats(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("allowedFormats");
        assertThatThrownBy(() -> ImagePolicy.defaults().withVmdkAllowedTypes(null))
                .isInstanceOf(NullPointerException.class).hasMessage("vmdkAllowedTypes");
    }

    @Test
    void everyKnownVmdkCreateTypeCanBeAllowed() {
        ImagePolicy policy = ImagePolicy.builder().vmdkAllowedTypes(VmdkCreateType.descriptorNames()).build();

        assertThat(policy.vmdkAllowedTypes()).hasSize(VmdkCreateType.values().length);
    }

    @Test
    void aWrongCaseVmdkTypeIsRefusedListingTheValidOnes() {
        assertThatThrownBy(() -> ImagePolicy.defaults().withVmdkAllowedTypes(Set.of("monolithicsparse")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("vmdk_allowed_types: 'monolithicsparse' is not a VMDK createType (createTypes are"
                        + " case-sensitive: did you mean 'monolithicSparse'?); valid createTypes: " + VALID_TYPES);
    }

    @ParameterizedTest
    @ValueSource(strings = {"foo", "", "monolithic Sparse", "qcow2"})
    void anUnknownVmdkTypeIsRefusedListingTheValidOnes(String type) {
        assertThatThrownBy(() -> ImagePolicy.builder().vmdkAllowedTypes(Set.of("monolithicSparse", type)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("vmdk_allowed_types: '" + type + "' is not a VMDK createType; valid createTypes: "
                        + VALID_TYPES);
    }

    @Test
    void anUnknownVmdkTypeIsQuotedSanitizedAndCapped() {
        String hostile = "\u001b[31m" + "x".repeat(500);

        assertThatThrownBy(() -> ImagePolicy.defaults().withVmdkAllowedTypes(Set.of(hostile)))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b").contains("\\x1b[31m")
                        .hasSizeLessThan(200 + VALID_TYPES.length()));
    }

    @Test
    void toStringSpellsEveryFieldEvenForAnEmptyAllowlist() {
        ImagePolicy policy = ImagePolicy.builder().allowedFormats(java.util.Set.of())
                .vmdkAllowedTypes(java.util.Set.of("streamOptimized", "monolithicSparse")).allowBackingFiles(true)
                .maxVirtualSize(2000).minVirtualSize(1000).qemuCrossCheck(true).readBudget(8192).build();

        assertThat(policy).hasToString("ImagePolicy[allowedFormats=[], vmdkAllowedTypes=[monolithicSparse,"
                + " streamOptimized], allowBackingFiles=true, maxVirtualSize=2000, minVirtualSize=1000,"
                + " qemuCrossCheck=true, readBudget=8192]");
        assertThat(ImagePolicy.defaults().withAllowedFormats(java.util.Set.of(dev.diskimage.core.DiskFormat.VDI,
                dev.diskimage.core.DiskFormat.RAW)).toString()).startsWith("ImagePolicy[allowedFormats=[RAW, VDI], ");
    }
}
