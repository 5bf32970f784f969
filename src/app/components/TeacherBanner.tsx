import { useLab } from '../store/labStore';

/** A teacher's title and note, at the top of a page opened from their link. */
export function TeacherBanner() {
  const teacher = useLab((s) => s.teacher);
  if (!teacher || (!teacher.title && !teacher.note)) return null;
  return (
    <section className="teacher-banner" aria-label="Exercise" data-testid="teacher-banner">
      {teacher.title && <h2 data-testid="teacher-title">{teacher.title}</h2>}
      {teacher.note && <p data-testid="teacher-note">{teacher.note}</p>}
    </section>
  );
}
