package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;

/**
 * Recognises one disk format from its bytes, pure Java, reading only the regions it needs.
 * An inspector never follows a path it finds inside an image and never starts a process.
 *
 * <p>Implementations record what they learn in the builder and throw {@link InspectionFailure}
 * when they cannot continue; {@link #run} turns that into a finding. Calling
 * {@link InspectionBuilder#magicFound()} as soon as a strong magic is seen and
 * {@link InspectionBuilder#matched()} once the structure is proven decides how a later failure
 * counts.
 */
interface FormatInspector {

    /** The format this inspector recognises. */
    DiskFormat format();

    /** Parses {@code image} into {@code result}; may throw {@link InspectionFailure}. */
    void inspect(ImageBytes image, InspectionBuilder result);

    /** Runs this inspector, turning a failure into a finding on the result. */
    default Inspection run(ImageBytes image) {
        InspectionBuilder result = new InspectionBuilder(format());
        try {
            inspect(image, result);
        } catch (InspectionFailure failure) {
            result.fail(failure);
        }
        return result.build();
    }
}
