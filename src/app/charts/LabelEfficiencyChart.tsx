import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { LabelEfficiencyRow } from '../store/labelEfficiency';

export function LabelEfficiencyChart({ rows }: { rows: LabelEfficiencyRow[] }) {
  return (
    <figure className="chart chart-wide" data-testid="label-efficiency-chart" data-rows={rows.length}>
      <figcaption>Label efficiency: test accuracy (%) by label fraction</figcaption>
      {rows.length === 0 ? (
        <div className="chart-empty">
          Finish a run with fine-tuning to see supervised-only, fine-tuned and distilled accuracy side by side. Runs with different label
          fractions fill in more groups.
        </div>
      ) : (
        <>
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={rows} margin={{ top: 6, right: 12, bottom: 4, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e6e3dc" />
              <XAxis
                dataKey="label"
                fontSize={11}
                label={{ value: 'labelled fraction', position: 'insideBottom', offset: -2, fontSize: 11 }}
                height={36}
              />
              <YAxis
                domain={[0, 100]}
                fontSize={11}
                width={48}
                label={{ value: 'test accuracy (%)', angle: -90, position: 'insideLeft', fontSize: 11, style: { textAnchor: 'middle' } }}
              />
              <Tooltip formatter={(value) => (typeof value === 'number' ? `${value}%` : String(value))} />
              <Legend wrapperStyle={{ fontSize: 11 }} />
              <Bar dataKey="supervised" name="supervised only" fill="#b9b3a6" isAnimationActive={false} />
              <Bar dataKey="fineTuned" name="pretrained + fine-tuned" fill="#3f6fb5" isAnimationActive={false} />
              <Bar dataKey="distilled" name="distilled student" fill="#d9822b" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
          <table className="summary-table" data-testid="label-efficiency-table">
            <thead>
              <tr>
                <th>labels</th>
                <th>supervised only</th>
                <th>fine-tuned</th>
                <th>distilled</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.labelFraction}>
                  <td>{row.label}</td>
                  <td>{row.supervised ?? '—'}</td>
                  <td>{row.fineTuned ?? '—'}</td>
                  <td>{row.distilled ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </figure>
  );
}
