using VisRL.Imaging.Geometry;
using VisRL.Method.Diversity;

namespace VisRL.DataGeneration;

/// <summary>
/// One sampled candidate. <see cref="Box"/> is null when there is no box to crop (unparsed text, or
/// no non-overlapping box exists); then <see cref="BoxParseError"/> says why and there is no answer.
/// <see cref="Diversity"/> is the controller's choice for a diverse candidate (null for own boxes and
/// for the plain resample of the ablation).
/// </summary>
public sealed record SampledCandidate(
    long ItemId, int Attempt, string Kind, string BoxText, Box? Box, string? BoxParseError,
    string Answer, double? BoxLogProb, double? AnswerLogProb, DiversityChoice? Diversity);
