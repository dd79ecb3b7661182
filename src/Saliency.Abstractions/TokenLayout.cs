using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// How a vision transformer layer's tokens <c>[B,N,C]</c> lie on the image: <paramref name="PrefixTokens"/> tokens
/// first (a class token, distillation or register tokens), then one token per patch, row by row, on a
/// <paramref name="Height"/>×<paramref name="Width"/> grid. The engine explains such a layer as the grid
/// <c>[B,C,h,w]</c> (pytorch-grad-cam's <c>reshape_transform</c>): its activations and gradients are the tokens
/// reshaped, so every CAM method applies unchanged.
/// </summary>
/// <param name="Height">Patch rows <c>h</c>.</param>
/// <param name="Width">Patch columns <c>w</c>.</param>
/// <param name="PrefixTokens">Tokens before the patch tokens (1 for a class token; 0 for none).</param>
public sealed record TokenLayout(int Height, int Width, int PrefixTokens = 1)
{
    /// <summary>The patch tokens <c>[B,N,C]</c> as a grid <c>[B,C,h,w]</c> (prefix tokens dropped).</summary>
    /// <param name="tokens">A layer output <c>[B,PrefixTokens + h·w,C]</c>.</param>
    /// <returns>The grid, a differentiable view-and-copy of the tokens.</returns>
    /// <exception cref="ArgumentException">The tokens do not fit the layout.</exception>
    public Tensor ToGrid(Tensor tokens)
    {
        Check(tokens);
        using var scope = NewDisposeScope();
        var (batch, channels) = (tokens.shape[0], tokens.shape[2]);
        return tokens.narrow(1, PrefixTokens, Height * Width).reshape(batch, Height, Width, channels).permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>A grid <c>[R,C,h,w]</c> back as tokens, with the prefix tokens of <paramref name="original"/> (<c>[1 or R,N,C]</c>) in front.</summary>
    /// <param name="grid">Rows of patch grids.</param>
    /// <param name="original">The layer's own output, whose prefix tokens are kept.</param>
    /// <returns>Tokens <c>[R,N,C]</c>.</returns>
    public Tensor ToTokens(Tensor grid, Tensor original)
    {
        ArgumentNullException.ThrowIfNull(grid);
        Check(original);
        using var scope = NewDisposeScope();
        var rows = grid.shape[0];
        var patches = grid.permute(0, 2, 3, 1).reshape(rows, Height * Width, grid.shape[1]);
        var prefix = original.narrow(1, 0, PrefixTokens).expand(rows, PrefixTokens, original.shape[2]).to(patches.dtype, patches.device);
        return cat([prefix, patches], 1).MoveToOuterDisposeScope();
    }

    private void Check(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.dim() != 3 || tokens.shape[1] != PrefixTokens + ((long)Height * Width))
        {
            throw new ArgumentException(
                $"A token layout of {PrefixTokens} prefix token(s) and a {Height}×{Width} grid needs a layer output [B,{PrefixTokens + (Height * Width)},C]; got [{string.Join(",", tokens.shape)}].",
                nameof(tokens));
        }
    }
}
