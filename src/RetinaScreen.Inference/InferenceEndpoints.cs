using Microsoft.AspNetCore.Routing;
using RetinaScreen.Inference.Heatmaps;

namespace RetinaScreen.Inference;

/// <summary>The inference role's HTTP endpoints.</summary>
public static class InferenceEndpoints
{
    /// <summary>Maps <c>GET /api/predictions/{id}/heatmap</c> and the whole-slide endpoints (<c>GET /api/slides/{sopInstanceUid}</c>
    /// and its heatmap). It needs the portal's authentication (a bearer token with
    /// a Grader, Adjudicator or Admin role); a worker without it refuses every request rather than serving images openly.</summary>
    public static IEndpointRouteBuilder MapInference(this IEndpointRouteBuilder app)
    {
        GetPredictionHeatmap.Map(app);
        Pathology.GetSlideAnalysis.Map(app);
        return app;
    }
}
