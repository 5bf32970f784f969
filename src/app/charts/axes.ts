/**
 * The x axis every curve chart shares (metric charts, the sweep's overlaid trials): numeric x from
 * the first to the last point, the unit written under it.
 */
export function curveXAxisProps(label: string, tickFormatter: (value: number) => string) {
  return {
    type: 'number' as const,
    dataKey: 'x',
    domain: ['dataMin', 'dataMax'] as ['dataMin', 'dataMax'],
    allowDuplicatedCategory: false,
    tickFormatter,
    fontSize: 11,
    label: { value: label, position: 'insideBottom' as const, offset: -10, fontSize: 11 },
  };
}
