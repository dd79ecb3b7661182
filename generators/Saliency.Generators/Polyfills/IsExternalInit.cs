// netstandard2.0 lacks this type; the compiler needs it for init accessors (records, record structs).
namespace System.Runtime.CompilerServices;

/// <summary>Reserved for the compiler: marks <c>init</c> accessors.</summary>
internal static class IsExternalInit
{
}
