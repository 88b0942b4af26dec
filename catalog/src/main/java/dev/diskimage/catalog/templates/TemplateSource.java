package dev.diskimage.catalog.templates;

/**
 * Where a template repository's images are fetched from: a directory on this host
 * ({@link FileTemplateSource}, lago's {@code file} type) or a web server
 * ({@link HttpTemplateSource}, lago's {@code http} type). A version names its source and a
 * handle, the image's path relative to the source's root.
 */
public sealed interface TemplateSource permits FileTemplateSource, HttpTemplateSource {

    /**
     * The source's name, the key under {@code sources} in the repository document.
     *
     * @return the name versions refer to
     */
    String name();

    /**
     * Where {@code relative} (a handle, or a handle with a suffix such as {@code .hash}) is,
     * for messages and logs.
     *
     * @param relative a checked handle, possibly with a suffix appended
     * @return the file path or URL as text
     */
    String describe(String relative);
}
