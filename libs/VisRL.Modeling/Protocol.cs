using VisRL.Imaging;
using VisRL.Imaging.Datasets;
using VisRL.Imaging.Geometry;

namespace VisRL.Modeling;

/// <summary>
/// The prompt layouts (token level). Visual CoT, two turns in one conversation:
/// <code>
/// &lt;bos&gt; &lt;user&gt; &lt;image&gt;[global] question &lt;box_request&gt; &lt;assistant&gt; loc loc loc loc &lt;eos&gt;
///        &lt;user&gt; &lt;image&gt;[crop] &lt;answer_request&gt; &lt;assistant&gt; answer &lt;eos&gt;
/// </code>
/// &lt;box_request&gt; is the reference instruction "Please provide the bounding box coordinate of the
/// region that can help you answer the question better." as one token; &lt;answer_request&gt; is
/// Visual-CoT's "Please answer the question based on the original image and local detail image.".
/// No CoT (the base model, and the critic's s_b with a crop as the image):
/// <code>&lt;bos&gt; &lt;user&gt; &lt;image&gt;[view] question &lt;assistant&gt; answer &lt;eos&gt;</code>
/// </summary>
public sealed class Protocol(Tokenizer tokenizer, ModelConfig config)
{
    public Tokenizer Tokenizer { get; } = tokenizer;
    public ModelConfig Config { get; } = config;

    /// <summary>The box request of turn 1, as the issue gives it.</summary>
    public const string BoxRequest = VisCotPrompts.BoxRequest;

    /// <summary>No CoT: view + question → answer. Without an answer the sequence ends at &lt;assistant&gt; (a generation prompt).</summary>
    public TokenSequence NoCot(RgbImage view, string question, string? answer = null)
    {
        var b = new Builder(this);
        b.Add(Tokenizer.BosId).Add(Tokenizer.UserId).AddImage(view).Add(Tokenizer.Encode(question)).Add(Tokenizer.AssistantId);
        if (answer is not null) b.Add(Tokenizer.Encode(answer), response: true).Add(Tokenizer.EosId, response: true);
        return b.Build();
    }

    /// <summary>Turn 1: global view + question + box request → box. Without a box, a generation prompt.</summary>
    public TokenSequence BoxTurn(RgbImage globalView, string question, Box? box = null)
    {
        var b = new Builder(this);
        AddTurn1(b, globalView, question, box);
        if (box is { } bx) b.Add(Tokenizer.EncodeBox(bx), response: true).Add(Tokenizer.EosId, response: true);
        return b.Build();
    }

    /// <summary>
    /// Turn 1 with its box, then turn 2: crop view + answer request → answer. Without an answer, a
    /// generation prompt. <paramref name="boxIsResponse"/> makes the box tokens count as response
    /// too (SFT trains both turns); for DPO's answer step only the answer counts.
    /// </summary>
    public TokenSequence AnswerTurn(RgbImage globalView, string question, Box box, RgbImage cropView, string? answer = null, bool boxIsResponse = false)
    {
        var b = new Builder(this);
        AddTurn1(b, globalView, question, box);
        b.Add(Tokenizer.EncodeBox(box), response: boxIsResponse).Add(Tokenizer.EosId, response: boxIsResponse);
        b.Add(Tokenizer.UserId).AddImage(cropView).Add(Tokenizer.AnswerRequestId).Add(Tokenizer.AssistantId);
        if (answer is not null) b.Add(Tokenizer.Encode(answer), response: true).Add(Tokenizer.EosId, response: true);
        return b.Build();
    }

    private void AddTurn1(Builder b, RgbImage globalView, string question, Box? box)
    {
        var words = Tokenizer.Encode(question);
        b.Add(Tokenizer.BosId).Add(Tokenizer.UserId).AddImage(globalView).Add(words).Add(Tokenizer.BoxRequestId)
            .MarkFocus(FocusWords(words), box).Add(Tokenizer.AssistantId);
    }

    /// <summary>
    /// The words the focus head reads: at most FocusWords; a longer question keeps its end, where
    /// questions name the object ("… on the red circle?"). The decoder still reads all of it.
    /// </summary>
    public int[] FocusWords(int[] question) => question.Length > Config.FocusWords ? question[^Config.FocusWords..] : question;

    private sealed class Builder(Protocol p)
    {
        private readonly List<int> _tokens = [];
        private readonly List<bool> _response = [];
        private readonly List<RgbImage> _images = [];
        private FocusMark? _focus;

        public Builder Add(int id, bool response = false)
        {
            _tokens.Add(id);
            _response.Add(response);
            return this;
        }

        public Builder Add(IEnumerable<int> ids, bool response = false)
        {
            foreach (int id in ids) Add(id, response);
            return this;
        }

        /// <summary>The next token is turn 1's &lt;assistant&gt;; <paramref name="box"/>: turn 1's box when the sequence gives it.</summary>
        public Builder MarkFocus(int[] question, Box? box)
        {
            _focus = new FocusMark(question, _tokens.Count, box is { } given ? p.Config.FocusCell(given) : null, box);
            return this;
        }

        public Builder AddImage(RgbImage view)
        {
            if (view.Width != p.Config.ImageSize || view.Height != p.Config.ImageSize)
                throw new ArgumentException($"image views must be {p.Config.ImageSize}x{p.Config.ImageSize} (use Views), got {view.Width}x{view.Height}");
            _images.Add(view);
            for (int i = 0; i < p.Config.ImageTokens; i++) Add(p.Tokenizer.ImageId);
            return this;
        }

        public TokenSequence Build()
        {
            if (_tokens.Count > p.Config.MaxSequence)
                throw new ArgumentException($"sequence of {_tokens.Count} tokens exceeds MaxSequence {p.Config.MaxSequence}");
            return new TokenSequence([.. _tokens], [.. _response], [.. _images], p.Tokenizer.ImageId) { Focus = _focus };
        }
    }
}
