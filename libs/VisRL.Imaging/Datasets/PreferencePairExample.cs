namespace VisRL.Imaging.Datasets;

/// <summary>
/// A DPO pair in LLaMA-Factory's ranking layout: the shared prompt turns, the chosen and rejected
/// final assistant responses, and the images the prompt's &lt;image&gt; tokens refer to.
/// VisRL stage 1: prompt = [user: image + question], responses = box texts.
/// Stage 2: prompt also holds the box turn and a user turn with the crop; responses = answers.
/// </summary>
public sealed record PreferencePairExample(IReadOnlyList<ChatTurn> Prompt, string Chosen, string Rejected, IReadOnlyList<string> Images);
