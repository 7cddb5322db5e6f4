namespace VisRL.Data;

/// <summary>The dataset file layouts that import and export speak.</summary>
public enum DatasetFileFormat
{
    /// <summary>LLaMA-Factory sharegpt: a dataset_info.json naming a JSON file of conversations.</summary>
    LlamaFactory,
    /// <summary>Visual-CoT benchmark metadata: question, answer, bboxs in pixels, width, height.</summary>
    VisCot,
}
