namespace VisRL.Imaging.Synthetic;

/// <summary>A question about a laid-out scene and the object that answers it.</summary>
internal readonly record struct SceneQuestion(string Text, int TargetIndex);
