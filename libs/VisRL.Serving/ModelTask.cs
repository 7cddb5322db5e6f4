using VisRL.Imaging;
using VisRL.Imaging.Geometry;

namespace VisRL.Serving;

/// <summary>What a conversation asks of VisRL-Tiny (<see cref="ConversationReader"/>).</summary>
public abstract record ModelTask;

/// <summary>Turn 1: the box for the question on the scene (Protocol.BoxTurn, constrained decoding).</summary>
public sealed record BoxTask(RgbImage Scene, string Question) : ModelTask;

/// <summary>Turn 2: the answer from scene, question, the turn-1 box and the crop image (Protocol.AnswerTurn).</summary>
public sealed record AnswerTask(RgbImage Scene, string Question, Box Box, RgbImage Crop) : ModelTask;

/// <summary>Any other question about one image, without CoT (Protocol.NoCot).</summary>
public sealed record NoCotTask(RgbImage Image, string Question) : ModelTask;

/// <summary>The judge's s_r prompt: answered by the normalized answer match, as the in-process critic does.</summary>
public sealed record AnswerScoreTask(string Question, string StandardAnswer, string Answer) : ModelTask;

/// <summary>The judge's s_b prompt: answered with P(standard answer | crop, question) under this model.</summary>
public sealed record BoxScoreTask(RgbImage Crop, string Question, string StandardAnswer) : ModelTask;
