namespace VisRL.Imaging.Datasets;

/// <summary>The fixed prompt texts of Visual-CoT's two-turn format (as in its data and eval code).</summary>
public static class VisCotPrompts
{
    public const string ImageToken = "<image>";

    public const string BoxRequest = "Please provide the bounding box coordinate of the region that can help you answer the question better.";

    /// <summary>VisRL's variant of the request (data_gen/generate.py).</summary>
    public const string BoxRequestVisRl = "Please first provide the bounding box coordinate of the region, then refer to the corresponding sub-image to answer the question better.";

    public const string AnswerRequest = "Please answer the question based on the original image and local detail image.";

    /// <summary>The bare question: image tokens and the box request removed.</summary>
    public static string StripQuestion(string text)
    {
        string q = text.Replace(ImageToken, "", StringComparison.Ordinal);
        foreach (var suffix in new[] { BoxRequest, BoxRequestVisRl, "Please provide the bounding box coordinate of the region" })
        {
            int at = q.IndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0) q = q[..at];
        }
        return q.Trim();
    }

    /// <summary>Visual-CoT image entries may carry "path###[x1, y1, x2, y2]"; the path is before ###.</summary>
    public static string StripImageSuffix(string image)
    {
        int at = image.IndexOf("###", StringComparison.Ordinal);
        return at >= 0 ? image[..at] : image;
    }
}
