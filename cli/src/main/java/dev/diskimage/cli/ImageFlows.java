package dev.diskimage.cli;

import dev.diskimage.conversion.ImageConverter;
import dev.diskimage.conversion.images.ImageDownloader;
import dev.diskimage.conversion.images.TemporaryImages;
import dev.diskimage.conversion.images.TransferProgress;
import dev.diskimage.conversion.images.VolumeImages;
import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.validation.ImageValidator;
import java.nio.file.Path;

/** Builds the library's fetch and upload flows the way the commands use them. */
final class ImageFlows {

    private ImageFlows() {
    }

    /**
     * The flows over one downloader, with the default converter.
     *
     * @param downloader how images are downloaded and checked
     * @param uploads hears upload progress
     */
    static VolumeImages flows(ImageDownloader downloader, TransferProgress uploads) {
        return VolumeImages.using(TemporaryImages.using(downloader),
                ImageConverter.using(ImageCommand.qemu(), downloader.validator())).withUploadProgress(uploads);
    }

    /** A downloader into {@code conversionDir} (the system's temporary directory when null). */
    static ImageDownloader downloader(ImageValidator validator, Path conversionDir) {
        return ImageDownloader.using(validator, conversionDir == null ? ImageConversionDirectory.systemDefault()
                : ImageConversionDirectory.of(conversionDir));
    }
}
