using System.ComponentModel.DataAnnotations;

namespace VisRL.Platform.Configuration;

/// <summary>Azure Blob storage (Azurite locally) and the project's containers.</summary>
[Settings("Blobs")]
public sealed class BlobOptions
{
    /// <summary>
    /// Azurite's published development account on the local stack's port; real accounts come
    /// from the environment.
    /// </summary>
    [Required] public string ConnectionString { get; set; } =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";

    /// <summary>
    /// Seconds a blob request may wait for the server's next bytes before the SDK tries it again (three tries in
    /// all). A store that goes silent (a network partition: no reset, no close) then counts as an outage after
    /// about three times this, not the SDK's 100 s for each of six tries; a slow transfer that keeps moving is not cut.
    /// </summary>
    [Range(1, 3_600)] public int NetworkTimeoutSeconds { get; set; } = 30;

    [Required] public string ImagesContainer { get; set; } = "images";
    [Required] public string CheckpointsContainer { get; set; } = "checkpoints";
    [Required] public string ExportsContainer { get; set; } = "exports";
}
